// A bench child process's own peak resident set. process.resourceUsage().maxRSS is not it: Linux carries
// the high-water mark of the forked copy of the parent over exec, so a child of a bench process that grew
// to 250 MB reported 250 MB before it had done anything (measured: maxRSS 253 MB, VmHWM 90 MB at start).
// /proc/self/status's VmHWM is the high-water mark of this process image alone.
import { readFileSync } from 'node:fs';

export function peakRssBytes(): number {
  try {
    const kb = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux: no /proc
  }
  return process.resourceUsage().maxRSS * 1024;
}
