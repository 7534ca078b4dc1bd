// VXLAN header: flags, 24-bit VNI, and the I-flag check.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { VXLAN_HEADER_LENGTH, decodeVxlan, encodeVxlan } from "../../../server/engine/wire/vxlan.js";

describe("vxlan", () => {
  it("lays out flags 0x08, reserved zeros and the VNI", () => {
    const bytes = encodeVxlan({ vni: 0x123456 }, Uint8Array.of(0xee));
    expect(Array.from(bytes)).toEqual([0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0, 0xee]);
  });

  it("ignores reserved bits but requires the I flag", () => {
    const bytes = encodeVxlan({ vni: 42 }, new Uint8Array(0));
    bytes[0] = 0x0c;
    bytes[7] = 0xff;
    expect(decodeVxlan(bytes)).toEqual({ ok: true, value: { repr: { vni: 42 }, flags: 0x0c, payload: new Uint8Array(0) } });
    bytes[0] = 0x00;
    expect(decodeVxlan(bytes)).toEqual({ ok: false, error: "VXLAN I flag not set (flags 0x00): no valid VNI" });
    expect(decodeVxlan(new Uint8Array(7))).toEqual({ ok: false, error: "VXLAN header too short: 7 bytes, need 8" });
  });

  it("round-trips every VNI", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), fc.uint8Array({ maxLength: 200 }), (vni, inner) => {
        const bytes = encodeVxlan({ vni }, inner);
        expect(bytes.length).toBe(VXLAN_HEADER_LENGTH + inner.length);
        expect(decodeVxlan(bytes)).toEqual({ ok: true, value: { repr: { vni }, flags: 0x08, payload: inner } });
      }),
    );
  });
});
