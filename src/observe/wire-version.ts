// Which document a host's answer is (docs/json.md, FleetObservation): checked before
// anything else, so an older or newer mosaic is named as such (RemoteVersionMismatch).

/** The wire document's apiVersion. */
export const OBSERVATION_API_VERSION = "mosaic.fleet/v1";
/** The wire document's kind. */
export const OBSERVATION_KIND = "FleetObservation";
