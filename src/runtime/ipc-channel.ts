// NODE_CHANNEL_FD in the init's environment on the npm route (the executable's
// runtime never reads it: scripts/runtime-env.mjs renames it in Node's own
// JavaScript): before any code of ours runs, Node's pre-execution
// (child_process._forkChild) opens that
// descriptor as an IPC pipe, makes its file description O_NONBLOCK (shared
// with the program: a `cat` on the shared stdin then fails with EAGAIN) and
// starts reading from it. Undone here, synchronously, before the event loop
// first polls (the reading only starts there, so nothing has been read yet):
// reading stops and the descriptor is made blocking again (libuv's
// uv_stream_set_blocking). The descriptor stays open, untouched otherwise, and
// is the program's as it was. Its prior mode is not known: libuv overwrote it;
// blocking is what a shared stdin or pipe almost always is. The variable
// itself still reaches the program (its environment is /proc/self/environ).

interface PipeHandle {
  readStop?: () => number
  setBlocking?: (on: boolean) => number
  fd?: number
}

/** Stops the IPC channel Node opened from NODE_CHANNEL_FD; returns its fd or undefined. */
export function neutralizeIpcChannel(proc: NodeJS.Process = process): number | undefined {
  if (!proc.channel) return undefined
  // setupChannel keeps the raw libuv pipe under a symbol (no public way in)
  const sym = Object.getOwnPropertySymbols(proc).find((s) => s.description === 'kChannelHandle')
  const handle = sym ? ((proc as unknown as Record<symbol, PipeHandle | undefined>)[sym]) : undefined
  if (!handle) return undefined
  handle.readStop?.()
  handle.setBlocking?.(true)
  return handle.fd
}
