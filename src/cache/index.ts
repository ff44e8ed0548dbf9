// The cache folder's front file (docs/architecture.md): mosaic's private cache files
// ($XDG_CACHE_HOME/mosaic). Other folders import it only from here.

export {
  cacheDir,
  cacheFileName,
  readPrivateFile,
  readPrivateJson,
  writePrivateFile,
  writePrivateJson,
} from "./private-file.js";
