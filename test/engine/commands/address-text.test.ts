/** How the tools read addresses typed by a student, and the IPv6 link-local text they print. */
import { describe, expect, it } from "vitest";
import { hostLookupError, parseInetAton, parseIproute2Ipv4, parseIproute2Prefix } from "../../../server/engine/commands/ipv4-text-forms.js";
import { formatIpv6, linkLocalAddress, solicitedNodeMac } from "../../../server/engine/commands/ipv6-link-local.js";
import { formatIpv4 } from "../../../server/engine/wire/ipv4-address.js";

const ip = (n: number | null) => (n === null ? null : formatIpv4(n));

describe("iproute2 reads IPv4 like get_addr_ipv4", () => {
  it("missing trailing parts are zero; C number bases; at most 255 per part", () => {
    expect(ip(parseIproute2Ipv4("10"))).toBe("10.0.0.0");
    expect(ip(parseIproute2Ipv4("172.17"))).toBe("172.17.0.0");
    expect(ip(parseIproute2Ipv4("0x0a.010.0.1"))).toBe("10.8.0.1");
    expect(parseIproute2Ipv4("999.1.1.1")).toBeNull();
    expect(parseIproute2Ipv4("1.2.3.4.5")).toBeNull();
    expect(parseIproute2Ipv4("bad")).toBeNull();
    expect(parseIproute2Prefix("10/8")).toEqual({ address: 0x0a000000, prefixLength: 8 });
    expect(parseIproute2Prefix("10.0.0.1")).toEqual({ address: 0x0a000001, prefixLength: 32 });
    expect(parseIproute2Prefix("10.0.0.0/33")).toBeNull();
  });
});

describe("net-tools reads IPv4 with inet_aton", () => {
  it("the last part fills the remaining bytes", () => {
    expect(ip(parseInetAton("1.2.3"))).toBe("1.2.0.3");
    expect(ip(parseInetAton("10.258"))).toBe("10.0.1.2");
    expect(ip(parseInetAton("127.1"))).toBe("127.0.0.1");
    expect(parseInetAton("10.20.0.999")).toBeNull();
    expect(parseInetAton("foo")).toBeNull();
  });

  it("what the resolver says about text that is no address", () => {
    expect(hostLookupError("10.20.0.999")).toBe("10.20.0.999: Unknown host");
    expect(hostLookupError("foo")).toBe("foo: Host name lookup failure");
  });
});

describe("IPv6 link-local addresses from MACs (modified EUI-64)", () => {
  it("matches the addresses Linux gave the chapter's devices", () => {
    expect(linkLocalAddress("02:42:ac:11:00:02")).toBe("fe80::42:acff:fe11:2");
    expect(linkLocalAddress("02:42:d8:e4:df:c1")).toBe("fe80::42:d8ff:fee4:dfc1");
    expect(linkLocalAddress("7a:a6:95:8e:9a:47")).toBe("fe80::78a6:95ff:fe8e:9a47");
    expect(linkLocalAddress("3e:10:55:1d:34:ce")).toBe("fe80::3c10:55ff:fe1d:34ce");
    expect(linkLocalAddress("02:00:00:00:00:01")).toBe("fe80::ff:fe00:1");
  });

  it("compresses the longest run of two or more zero groups, the first when tied", () => {
    expect(formatIpv6([0, 0, 0, 0, 0, 0, 0, 1])).toBe("::1");
    expect(formatIpv6([1, 0, 0, 2, 0, 0, 0, 3])).toBe("1:0:0:2::3");
    expect(formatIpv6([1, 0, 0, 2, 0, 0, 3, 4])).toBe("1::2:0:0:3:4");
    expect(formatIpv6([1, 0, 2, 3, 4, 5, 6, 7])).toBe("1:0:2:3:4:5:6:7");
    expect(formatIpv6([0xff02, 0, 0, 0, 0, 1, 0xff11, 2])).toBe("ff02::1:ff11:2");
  });

  it("the solicited-node group's MAC ends with the MAC's last three bytes", () => {
    expect(solicitedNodeMac("02:42:d8:e4:df:c1")).toBe("33:33:ff:e4:df:c1");
  });
});
