# virtbus: this guest's AppArmor profile, written by its daemon at start.
#include <tunables/global>

profile libvirt-11111111-2222-3333-4444-555555555555 flags=(attach_disconnected) {
  #include <abstractions/virtbus-qemu>

  signal (send, receive) peer=libvirt-11111111-2222-3333-4444-555555555555,
  "/usr/bin/qemu-system-x86_64" rmix,
  "/var/lib/virtbus/images/plain.qcow2" rwk,
  "/run/virtbus/qemu/plain.pid" rwk,
  "/run/virtbus/qemu/plain.monitor" rw,
  "/var/log/virtbus/qemu/plain.log" w,
}
