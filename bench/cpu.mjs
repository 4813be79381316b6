// CPU time of a `wrangler dev` process group's processes, read from Linux: shared by
// bench/auth-cost.mjs, bench/argon2.mjs and bench/cold-start.mjs.
// /proc/PID/task/*/schedstat (nanoseconds on CPU, per thread), or utime+stime from
// /proc/PID/stat (clock ticks, 10 ms) where schedstat is missing. CPU time rather than wall
// time because the machine's cores are shared with other jobs: waiting for a core inflates
// latency but not CPU time.
import fs from "node:fs";
import { execFileSync } from "node:child_process";

export const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
export const haveSchedstat = fs.existsSync("/proc/self/schedstat");
export const cpuMethod = () => (haveSchedstat ? "schedstat ns" : `utime+stime at ${CLK_TCK} ticks/s`);

const read = (path) => fs.readFileSync(path, "utf8");
function statFields(pid) {
  const s = read(`/proc/${pid}/stat`);
  return s.slice(s.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
}

/** Every process of process group `pgid`, as { pid, comm }. */
export function groupPids(pgid) {
  const out = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (Number(statFields(e)[2]) === pgid) out.push({ pid: Number(e), comm: read(`/proc/${e}/comm`).trim() });
    } catch {} // gone meanwhile
  }
  return out;
}

/** Nanoseconds process `pid` has spent on CPU, all its threads. */
export function cpuNs(pid) {
  if (haveSchedstat) {
    let ns = 0;
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(read(`/proc/${pid}/task/${t}/schedstat`).split(" ")[0]);
      } catch {} // thread exited
    }
    return ns;
  }
  const f = statFields(pid);
  return ((Number(f[11]) + Number(f[12])) * 1e9) / CLK_TCK; // utime + stime
}

export const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/** The workerd processes of process group `pgid` (wrangler dev runs two: its proxy and the
 * Worker's runtime; their CPU is summed). Throws when there is none. */
export function workerdPids(pgid, name = `process group ${pgid}`) {
  const pids = groupPids(pgid).filter((p) => p.comm === "workerd").map((p) => p.pid);
  if (!pids.length) throw new Error(`${name}: no workerd process in process group ${pgid}`);
  return pids;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
