#!/usr/bin/env bash
# Builds the real-kernel test machine's disk (docs/testing.md). Two steps, each cached by the
# caller (test/vm/rig/image.ts) under .tmp/vm/ with a key over this file and its inputs:
#
#   build-image.sh rootfs <dir>                      Debian root file system (debootstrap minbase)
#   build-image.sh image <rootfs-dir> <out.img> <kernel-version>
#                                                    the bootable ext4 disk: rootfs + the host
#                                                    kernel's modules + the rig's runner
#   build-image.sh initrd <kernel-version> <out>     a small initrd (virtio disk + ext4 only): the
#                                                    host's generic one takes seconds longer to unpack
#
# The Debian mirror is the one apt on this machine already uses, read at run time from its
# sources (never written into the repository). Needs root, debootstrap and e2fsprogs.
set -euo pipefail

# Packages of the guest, beyond minbase. Why each is there:
packages=(
  systemd-sysv udev dbus kmod   # a real init, udev and D-Bus: the agent's unit, uevents, logind
  libpam-systemd                # logins register logind sessions (the session lock tests)
  kbd                           # openvt, chvt: a login on a real VT, the active seat0 session
  usbutils                      # lsusb, for people debugging the rig
  iproute2 util-linux mount e2fsprogs procps   # the agent's OS tools (ip, findmnt, blkid, mount, ps)
  python3                       # the rig's runner and the pty/vhci helpers
  udisks2 polkitd               # mounting the way a desktop does, and the agent's polkit rule
  dosfstools exfatprogs         # fsck of the FAT/exFAT sticks inside the guest
  libpam-oath                   # pam_oath at a real login (pam_faillock is in libpam-modules)
  usbguard                      # the peer daemon the USB benchmark compares against
  rfkill                        # rfkill list: reading radios back besides sysfs
  login passwd                  # login(1) and useradd/chpasswd for the staff accounts
)

mirror() {
  local uri=''
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list)
  fi
  if [ -z "$uri" ]; then
    echo "build-image: no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list" >&2
    exit 2
  fi
  printf '%s\n' "$uri"
}

suite() {
  . /etc/os-release
  printf '%s\n' "${VERSION_CODENAME:-bookworm}"
}

build_rootfs() {
  local dir=$1
  rm -rf "$dir"
  local joined
  joined=$(IFS=,; echo "${packages[*]}")
  debootstrap --variant=minbase --include="$joined" "$(suite)" "$dir" "$(mirror)"
  chroot "$dir" apt-get clean
  rm -rf "$dir"/var/lib/apt/lists/*
}

build_image() {
  local rootfs=$1 out=$2 kver=$3
  local here
  here=$(cd "$(dirname "$0")" && pwd)
  staging=$(mktemp -d "$(dirname "$out")/staging.XXXXXX")
  trap 'rm -rf "${staging:-}"' EXIT
  cp -a "$rootfs/." "$staging/"

  # The host's kernel modules: the guest boots the host's Debian kernel (-kernel/-initrd).
  mkdir -p "$staging/lib/modules"
  cp -a "/lib/modules/$kver" "$staging/lib/modules/"

  # The runner, started early so the host can drive the guest before anything else happens.
  install -D -m 0755 "$here/guest/runner.py" "$staging/usr/local/lib/mng-test/runner.py"
  install -D -m 0644 "$here/guest/mng-test-runner.service" "$staging/etc/systemd/system/mng-test-runner.service"
  install -D -m 0755 "$here/guest/login-pty.py" "$staging/usr/local/lib/mng-test/login-pty.py"
  install -D -m 0755 "$here/guest/vhci-controller.py" "$staging/usr/local/lib/mng-test/vhci-controller.py"
  install -D -m 0755 "$here/guest/usb-state.py" "$staging/usr/local/lib/mng-test/usb-state.py"
  install -D -m 0755 "$here/guest/badusb-gadget.sh" "$staging/usr/local/lib/mng-test/badusb-gadget.sh"
  mkdir -p "$staging/etc/systemd/system/sysinit.target.wants"
  ln -sf /etc/systemd/system/mng-test-runner.service "$staging/etc/systemd/system/sysinit.target.wants/mng-test-runner.service"

  # The serial console carries the kernel's messages to the host log: no getty on it.
  ln -sf /dev/null "$staging/etc/systemd/system/serial-getty@ttyS0.service"
  # Nothing in the guest runs on a timer behind the tests' back.
  for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer dpkg-db-backup.timer; do
    ln -sf /dev/null "$staging/etc/systemd/system/$unit"
  done
  # usbguard-daemon runs only when the benchmark starts it.
  rm -f "$staging/etc/systemd/system/multi-user.target.wants/usbguard.service"
  rm -f "$staging"/etc/systemd/system/*/usbguard*.service

  echo mng-vm > "$staging/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 mng-vm\n' > "$staging/etc/hosts"
  printf '/dev/vda / ext4 rw,relatime 0 1\n' > "$staging/etc/fstab"
  mkdir -p "$staging/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=volatile\n' > "$staging/etc/systemd/journald.conf.d/volatile.conf"
  mkdir -p "$staging/srv/host"

  # Staff accounts for the login and session tests (passwords are the rig's, not secrets).
  chroot "$staging" useradd --create-home --shell /bin/bash --uid 1001 staff1
  chroot "$staging" useradd --create-home --shell /bin/bash --uid 1002 staff2
  printf 'staff1:staff1-pass\nstaff2:staff2-pass\nroot:root-pass\n' | chroot "$staging" chpasswd
  # login(1) waits 3 s after a failed attempt (pam_faildelay); the rig's refused logins need not.
  sed -i 's/^\(auth[[:space:]]*optional[[:space:]]*pam_faildelay\.so[[:space:]]*delay=\)[0-9]*/\1200000/' "$staging/etc/pam.d/login"

  rm -f "$out.tmp"
  truncate -s 4G "$out.tmp"
  mkfs.ext4 -q -F -L mngvm -d "$staging" "$out.tmp"
  mv "$out.tmp" "$out"
}

build_initrd() {
  local kver=$1 out=$2
  conf=$(mktemp -d)
  trap 'rm -rf "${conf:-}"' EXIT
  cp -a /etc/initramfs-tools/. "$conf/"
  sed -i 's/^MODULES=.*/MODULES=list/' "$conf/initramfs.conf"
  printf 'virtio_pci\nvirtio_blk\next4\n' > "$conf/modules"
  mkinitramfs -d "$conf" -o "$out.tmp" "$kver"
  mv "$out.tmp" "$out"
}

case "${1:-}" in
  rootfs) build_rootfs "$2" ;;
  image) build_image "$2" "$3" "$4" ;;
  initrd) build_initrd "$2" "$3" ;;
  *) echo "usage: build-image.sh rootfs <dir> | image <rootfs-dir> <out.img> <kernel-version> | initrd <kernel-version> <out>" >&2; exit 2 ;;
esac
