# virtbus: this guest's AppArmor profile, written by its daemon at start.
#include <tunables/global>

profile libvirt-6695eb01-f6a4-8304-79aa-97f2502e193f flags=(attach_disconnected) {
  #include <abstractions/virtbus-qemu>

  signal (send, receive) peer=libvirt-6695eb01-f6a4-8304-79aa-97f2502e193f,
  "/var/lib/virtbus/images/top.qcow2" rwk,
  "/var/lib/virtbus/images/mid.qcow2" rk,
  "/dev/mapper/base" rk,
  "/var/lib/virtbus/iso/install.iso" rk,
  "/var/lib/virtbus/images/reference.img" rk,
  "/dev/mapper/cluster-shared" rwk,
  "/run/virtbus/qemu/chain.pid" rwk,
  "/run/virtbus/qemu/chain.monitor" rw,
  "/var/log/virtbus/qemu/chain.log" w,
}
