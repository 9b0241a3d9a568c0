# virtbus: this guest's AppArmor profile, written by its daemon at start.
#include <tunables/global>

profile libvirt-0c7a4bd2-9d1e-4b6f-8e3a-2f5d6c7b8a90 flags=(attach_disconnected) {
  #include <abstractions/virtbus-qemu>

  signal (send, receive) peer=libvirt-0c7a4bd2-9d1e-4b6f-8e3a-2f5d6c7b8a90,
  "/var/lib/virtbus/images/boot.img" rwk,
  "/var/lib/virtbus/boot/vmlinuz" rk,
  "/var/lib/virtbus/boot/initrd.img" rk,
  "/usr/share/OVMF/OVMF_CODE_4M.fd" rk,
  "/var/lib/virtbus/qemu/nvram/boot_VARS.fd" rwk,
  "/var/log/virtbus/qemu/boot-serial.log" rw,
  "/var/lib/virtbus/qemu/channel/boot.agent" rw,
  "/run/virtbus/qemu/boot.*.sock" rw,
  "/dev/urandom" rw,
  "/dev/net/tun" rw,
  "/dev/vhost-net" rw,
  "/dev/hugepages/" r,
  "/dev/hugepages/**" rw,
  "/run/virtbus/qemu/boot.pid" rwk,
  "/run/virtbus/qemu/boot.monitor" rw,
  "/var/log/virtbus/qemu/boot.log" w,
}
