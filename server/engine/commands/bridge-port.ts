/**
 * What the tools report about a bridge port beyond the FDB: its STP state,
 * number, priority and path cost (`bridge link`, `brctl showmacs`,
 * `ip -d link`), and the bridge id as iproute2 prints it.
 *
 * STP is off on Docker's bridges, so a port forwards as soon as it is up with
 * carrier on an up bridge, and is "disabled" otherwise. Port numbers count
 * from 1 in enslavement order (the kernel reuses the lowest free number after
 * a port leaves; the model does not keep that history). Path cost follows the
 * port's speed: a veth reports 10 Gb/s, cost 2; other devices report no speed
 * and get the default 100.
 */
import { Bridge } from "../link/bridge.js";
import type { Device } from "../link/device.js";

export const PORT_PRIORITY = 32;

export function portState(bridge: Bridge, port: Device): "forwarding" | "disabled" {
  return bridge.adminUp && port.operUp ? "forwarding" : "disabled";
}

export function portNumber(bridge: Bridge, port: Device): number {
  return bridge.ports.indexOf(port) + 1;
}

export function portCost(port: Device): number {
  return port.kind === "veth" ? 2 : 100;
}

/** iproute2 prints the bridge id's MAC bytes with %x, so 02 becomes "2": "8000.2:42:d8:e4:df:c1". */
export function iproute2BridgeId(bridge: Bridge): string {
  return `8000.${bridge.mac
    .split(":")
    .map((h) => parseInt(h, 16).toString(16))
    .join(":")}`;
}

/** The bridge a device is enslaved to, if any. */
export function masterBridge(dev: Device): Bridge | null {
  return dev.master instanceof Bridge ? dev.master : null;
}
