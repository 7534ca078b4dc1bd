/** A capture file leaves at its token's download bandwidth, in slices, whole and in order. */
import { describe, expect, it } from "vitest";
import { PacedDownload } from "../../server/sessions/paced-download.js";
import { ReplayBandwidth } from "../../server/sessions/replay-bandwidth.js";

async function readAll(body: PacedDownload): Promise<Buffer[]> {
  const slices: Buffer[] = [];
  for await (const slice of body) slices.push(slice as Buffer);
  return slices;
}

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

describe("a paced download", () => {
  it("sends everything added, in order, in slices of at most 256 KiB, and waits the pacer's time between them", async () => {
    // A test clock: sleeping moves it, so the bucket refills exactly as much as was waited.
    let now = 0;
    const slept: number[] = [];
    const bandwidth = new ReplayBandwidth(
      512 * 1024,
      () => now,
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
    );
    const body = new PacedDownload(bandwidth.pacer("student"));
    const first = bytes(600 * 1024, 1);
    const second = bytes(100 * 1024, 2);
    body.add(first);
    const reading = readAll(body);
    body.add(second);
    body.finish();
    const slices = await reading;

    expect(Buffer.concat(slices)).toEqual(Buffer.concat([first, second]));
    expect(Math.max(...slices.map((s) => s.length))).toBeLessThanOrEqual(256 * 1024);
    // 700 KiB at 512 KiB/s after a 512 KiB burst: the other 188 KiB wait about 367 ms in all.
    const waited = slept.reduce((sum, ms) => sum + ms, 0);
    expect(waited).toBeGreaterThanOrEqual(360);
    expect(waited).toBeLessThanOrEqual(380);
  });

  it("without a pacer sends at once, and an empty download just ends", async () => {
    const body = new PacedDownload(null);
    body.add(bytes(10, 3));
    body.finish();
    expect(Buffer.concat(await readAll(body))).toEqual(Buffer.from(bytes(10, 3)));
    const empty = new PacedDownload(null);
    empty.finish();
    expect(await readAll(empty)).toEqual([]);
  });

  it("ends with the error when the capture fails after it started", async () => {
    const body = new PacedDownload(null);
    body.add(bytes(10, 4));
    const reading = readAll(body);
    body.destroy(new Error("the worker stopped"));
    await expect(reading).rejects.toThrow(/the worker stopped/);
  });
});
