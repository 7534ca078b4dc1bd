/**
 * What the tools show that depends on a device's past, which the device
 * model does not keep: whether it has ever been up. A device that has been up
 * keeps a queueing discipline (`qdisc noqueue` instead of `noop`) and, once
 * brought down again, has left its multicast groups. We infer it: a device
 * that is down and carries nothing it could only have got in use (an address,
 * a master) counts as never up, which is what a fresh `ip link add` or
 * `brctl addbr` looks like.
 */
import type { Device } from "../link/device.js";

export function hasBeenUp(dev: Device): boolean {
  return dev.adminUp || dev.addresses.length > 0 || dev.master !== null;
}
