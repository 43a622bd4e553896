// CPU time of the broker process (from /proc/<pid>/stat, Linux) and of this process during a
// measured run, as cores used: 1.0 = one core busy for the whole run. On a 2-core machine a side
// near 1.0 is bound by its (single-threaded) event loop; both together near 2.0 saturate the machine.
import fs from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100

/** CPU seconds used so far by `pid` (user + system), or NaN where /proc is not available. */
function processCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ
  } catch {
    return Number.NaN
  }
}

/** CPU used by one process between `start` and `stop`, in cores. */
export function processSampler(pid: number): { start(): void; stop(ms: number): number } {
  let at = 0
  return {
    start() {
      at = processCpuSeconds(pid)
    },
    stop(ms) {
      return (processCpuSeconds(pid) - at) / (ms / 1000)
    },
  }
}

export interface CpuSampler {
  start(): void
  /** Cores used by the broker and by this process since `start`, over a run of `ms`. */
  stop(ms: number): { brokerCores: number; clientCores: number }
}

export function cpuSampler(brokerPid: number): CpuSampler {
  let broker = 0
  let client = process.cpuUsage()
  return {
    start() {
      broker = processCpuSeconds(brokerPid)
      client = process.cpuUsage()
    },
    stop(ms) {
      const b = processCpuSeconds(brokerPid) - broker
      const c = process.cpuUsage(client)
      return {
        brokerCores: b / (ms / 1000),
        clientCores: (c.user + c.system) / 1e6 / (ms / 1000),
      }
    },
  }
}
