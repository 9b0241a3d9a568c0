# virtbus: this guest's AppArmor profile, written by its daemon at start.
#include <tunables/global>

profile libvirt-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee flags=(attach_disconnected) {
  #include <abstractions/virtbus-qemu>

  signal (send, receive) peer=libvirt-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee,
  "/var/lib/virtbus/my images/disk \[1\] \{copy\}\*.qcow2" rwk,
  "/var/lib/virtbus/images/data,1 \"copy\" @\{HOME\}\^.raw" rwk,
  "/run/virtbus/qemu/spaces.pid" rwk,
  "/run/virtbus/qemu/spaces.monitor" rw,
  "/var/log/virtbus/qemu/spaces.log" w,
}
