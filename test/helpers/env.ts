// The one environment filter for CLIs the tests start: nothing of the caller's mosaic,
// tmux, systemd, colour or test-runner settings leaks in, except XDG_CACHE_HOME, which
// test/global-setup.ts points at this run's private directory (so no cache lands in
// the real ~/.cache).

const LEAKY =
  /^(MOSAIC_.*|TMUX|TMUX_PANE|TMUX_TMPDIR|XDG_(?!CACHE_HOME$).*|DBUS_SESSION_BUS_ADDRESS|NO_COLOR|FORCE_COLOR|VITEST.*|NODE_OPTIONS|NODE_ENV)$/;

/** process.env without the leaky variables, then `extra` (undefined removes a variable). */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || LEAKY.test(key)) continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}
