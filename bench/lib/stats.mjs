// Statistics over the raw samples: quantiles, medians, the per-contender summary.
export const sorted = (a) => [...a].sort((x, y) => x - y)
export function quantile(a, q) {
  if (a.length === 0) return NaN
  const s = sorted(a)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}
export const median = (a) => {
  if (a.length === 0) return NaN
  const s = sorted(a)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
export const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length

export function summarise(raw) {
  const s = {}
  for (const [key, r] of Object.entries(raw)) {
    const x = {}
    if (r.startup.length) Object.assign(x, { startupMs: median(r.startup), startupMinMs: Math.min(...r.startup), startupP90Ms: quantile(r.startup, 0.9), startupN: r.startup.length, startupCpuMs: median(r.startupCpu) })
    if (r.startupPid1?.length) Object.assign(x, { startupPid1Ms: median(r.startupPid1), startupPid1CpuMs: median(r.startupPid1Cpu), startupPid1N: r.startupPid1.length })
    // paired runs ([a wall, b wall, a CPU, b CPU] against the floor): the median of the ratios
    const paired = (p) => (p?.length ? { n: p.length, wall: median(p.map((q) => q[0] / q[1])), cpu: median(p.map((q) => q[2] / q[3])) } : undefined)
    if (r.startupPairs?.length) x.pairedStartup = paired(r.startupPairs)
    if (r.startupPid1Pairs?.length) x.pairedStartupPid1 = paired(r.startupPid1Pairs)
    if (r.probe?.length) {
      const ok = r.probe.filter((p) => p.status === '0')
      Object.assign(x, {
        probeP50Ms: quantile(r.probe.map((p) => p.wallMs), 0.5),
        probeP95Ms: quantile(r.probe.map((p) => p.wallMs), 0.95),
        probeCpuMs: median(r.probe.map((p) => p.cpuMs)),
        probeRssKiB: median(r.probe.map((p) => p.maxRssKiB)),
        probeN: r.probe.length,
        probeFailed: r.probe.length - ok.length,
      })
    }
    if (r.hung?.length) {
      Object.assign(x, {
        hungP50Ms: median(r.hung.map((p) => p.wallMs)),
        hungMaxMs: Math.max(...r.hung.map((p) => p.wallMs)),
        hungStatuses: [...new Set(r.hung.map((p) => p.status))],
        hungLeft: r.hung.flatMap((p) => p.left),
        hungN: r.hung.length,
      })
    }
    if (r.window?.length) Object.assign(x, { windowMs: median(r.window), windowN: r.window.length })
    if (r.memory.length) {
      Object.assign(x, {
        rssAnonKiB: median(r.memory.map((m) => m.rssAnonKiB)),
        hwmKiB: median(r.memory.map((m) => m.hwmKiB)),
        threads: Math.max(...r.memory.map((m) => m.threads)),
        wakeups: median(r.memory.map((m) => m.wakeups)),
        wakeupsMax: Math.max(...r.memory.map((m) => m.wakeups)),
        memoryN: r.memory.length,
      })
    }
    if (r.storm.length) Object.assign(x, { drainMs: median(r.storm.map((m) => m.drain_ms)), drainMaxMs: Math.max(...r.storm.map((m) => m.drain_ms)), peakZombies: Math.max(...r.storm.map((m) => m.peak)), createMs: median(r.storm.map((m) => m.create_ms)), stormN: r.storm.length })
    // PID 1's own CPU (utime+stime) during the storm per reaped orphan (its
    // start-up excluded), and its heap after the storm; in each logging mode.
    const perOrphan = (runs) => median(runs.map((m) => (m.storm_cpu_ms * 1000) / m.orphans))
    for (const [k, p] of [['storm', 'storm'], ['stormW', 'stormW'], ['stormVv', 'stormVv'], ['stormJson', 'stormJson']]) {
      const runs = r[k] ?? []
      if (runs.length && runs[0].storm_cpu_ms >= 0) Object.assign(x, { [`${p}CpuUs`]: perOrphan(runs), [`${p}AnonKiB`]: Math.max(...runs.map((m) => m.init_rss_anon_kib)), [`${p}HwmKiB`]: Math.max(...runs.map((m) => m.init_hwm_kib)), [`${p}N`]: runs.length })
    }
    if (r.burst.length) Object.assign(x, { burstDrainMs: median(r.burst.map((m) => m.drain_ms)), burstPeak: Math.max(...r.burst.map((m) => m.peak)), burstN: r.burst.length })
    if (r.signal.length) Object.assign(x, { sigP50Us: quantile(r.signal, 0.5), sigP99Us: quantile(r.signal, 0.99), sigMeanUs: mean(r.signal), sigN: r.signal.length, sigLost: r.lost })
    x.errors = r.errors
    s[key] = x
  }
  return s
}
