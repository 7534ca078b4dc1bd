/**
 * The block iputils 20221126 prints when ping ends (finish() in ping_common.c),
 * computed the way iputils computes it: the loss as a C float through %g
 * ("66.6667%"), the time rounded to the millisecond, the mean and deviation
 * from double sums cut to whole microseconds, and, for a ping with no interval
 * (-i 0), the mean gap between probes and the smoothed round trip ("ipg/ewma").
 * It only formats: the ping run counts and times.
 */

export interface PingTally {
  /** The destination as typed. */
  target: string;
  transmitted: number;
  received: number;
  duplicates: number;
  errors: number;
  /** Microseconds from the first probe to the last one sent. */
  elapsed: number;
  /** Round trips of the replies in the order they arrived, in whole microseconds. */
  rtts: readonly number[];
  /** The most probes outstanding when an answer arrived. */
  pipe: number;
  /** The probe interval in milliseconds, as iputils keeps it. */
  intervalMs: number;
  /** Payloads of fewer than 16 bytes carry no send time: no round trips at all. */
  timing: boolean;
}

/** C's printf("%g") of a C float: six significant digits, no trailing zeros. */
function percentG(value: number): string {
  const v = Math.fround(value);
  if (v === 0) return "0";
  const exponent = Number(v.toExponential(5).split("e")[1]);
  if (exponent < -4 || exponent >= 6) {
    const [mantissa, exp] = v.toExponential(5).split("e") as [string, string];
    const e = Number(exp);
    return `${mantissa.replace(/\.?0+$/, "")}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  return v.toFixed(5 - exponent).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
}

/** llsqrt of iputils: Newton's method on integers. */
function integerSqrt(a: number): number {
  let prev = Number.MAX_SAFE_INTEGER;
  let x = a;
  if (x > 0) {
    while (x < prev) {
      prev = x;
      x = Math.trunc((x + Math.trunc(a / x)) / 2);
    }
  }
  return x;
}

/** `%ld.%03ld` of a microsecond figure, as milliseconds. */
const ms = (us: number): string => `${Math.trunc(us / 1000)}.${String(us % 1000).padStart(3, "0")}`;

export function pingStatistics(t: PingTally): string[] {
  const lines = ["", `--- ${t.target} ping statistics ---`];
  let summary = `${t.transmitted} packets transmitted, ${t.received} received`;
  if (t.duplicates > 0) summary += `, +${t.duplicates} duplicates`;
  if (t.errors > 0) summary += `, +${t.errors} errors`;
  if (t.transmitted > 0) {
    summary += `, ${percentG(((t.transmitted - t.received) * 100) / t.transmitted)}% packet loss`;
    summary += `, time ${Math.floor((t.elapsed + 500) / 1000)}ms`;
  }
  lines.push(summary);

  const parts: string[] = [];
  // The smoothed round trip, times 8 in an int, as iputils keeps it: the first reply sets it.
  let ewma = 0;
  if (t.received > 0 && t.timing) {
    let sum = 0;
    let squares = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const rtt of t.rtts) {
      sum += rtt;
      squares += rtt * rtt;
      min = Math.min(min, rtt);
      max = Math.max(max, rtt);
      ewma = ewma === 0 ? rtt * 8 : ewma + rtt - Math.trunc(ewma / 8);
    }
    const total = t.received + t.duplicates;
    const avg = Math.trunc(sum / total);
    const variance = Math.trunc(sum < 2147483647 ? (squares - (sum * sum) / total) / total : squares / total - avg * avg);
    parts.push(`rtt min/avg/max/mdev = ${ms(min)}/${ms(avg)}/${ms(max)}/${ms(integerSqrt(variance))} ms`);
  }
  if (t.pipe > 1) parts.push(`pipe ${t.pipe}`);
  if (t.received > 0 && t.intervalMs === 0 && t.transmitted > 1) {
    const ipg = Math.trunc(t.elapsed / (t.transmitted - 1));
    parts.push(`ipg/ewma ${ms(ipg)}/${ms(Math.trunc(ewma / 8))} ms`);
  }
  lines.push(parts.join(", "));
  return lines;
}
