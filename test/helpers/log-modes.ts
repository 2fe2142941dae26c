// Every test scenario that involves reaping runs in every logging mode:
// the modes add code paths (a stale errno once spun PID 1 at
// 100% CPU only with -w, -vv or json).
export interface LogMode {
  name: string
  /** tini-ts's flags */
  flags: string[]
  /** tini's flags for the same mode (the oracle has no json: plain -v) */
  tiniFlags: string[]
}

export const LOG_MODES: LogMode[] = [
  { name: 'plain', flags: [], tiniFlags: [] },
  { name: '-w', flags: ['-w'], tiniFlags: ['-w'] },
  { name: '-vv', flags: ['-vv'], tiniFlags: ['-vv'] },
  { name: 'json -v', flags: ['--log-format', 'json', '-v'], tiniFlags: ['-v'] },
]
