#!/bin/sh
# The BadUSB stand-in (test rig only; docs/testing.md): QEMU emulates no storage+keyboard
# composite, so the guest's own kernel makes one. dummy_hcd is a software USB host controller with
# a device-side port; a configfs gadget with a mass-storage and a HID keyboard function, bound to
# it, is enumerated by the real USB core like a stick that also types: one device, interfaces
# 08:06:50 and 03:01:01.
#   badusb-gadget.sh load     load dummy_hcd (a new bus appears) and prepare the gadget
#   badusb-gadget.sh plug     bind the gadget: the device arrives on the dummy bus
#   badusb-gadget.sh unplug   unbind it
set -eu
G=/sys/kernel/config/usb_gadget/badusb
case "$1" in
  load)
    modprobe dummy_hcd
    modprobe libcomposite
    mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
    mkdir -p "$G"
    cd "$G"
    echo 0x1d6b > idVendor
    echo 0x0104 > idProduct
    mkdir -p strings/0x409
    echo BADUSB0001 > strings/0x409/serialnumber
    echo "Innocent Stick" > strings/0x409/product
    mkdir -p configs/c.1 functions/mass_storage.0 functions/hid.0
    truncate -s 8M /run/badusb.img
    echo /run/badusb.img > functions/mass_storage.0/lun.0/file
    echo 1 > functions/hid.0/protocol
    echo 1 > functions/hid.0/subclass
    echo 8 > functions/hid.0/report_length
    # A boot keyboard's report descriptor (HID 1.11 appendix B.1).
    printf '\005\001\011\006\241\001\005\007\031\340\051\347\025\000\045\001\165\001\225\010\201\002\225\001\165\010\201\003\225\006\165\010\025\000\045\145\005\007\031\000\051\145\201\000\300' > functions/hid.0/report_desc
    ln -s functions/mass_storage.0 configs/c.1/
    ln -s functions/hid.0 configs/c.1/
    ;;
  plug) ls /sys/class/udc > "$G/UDC" ;;
  unplug) echo '' > "$G/UDC" ;;
  *) echo "usage: badusb-gadget.sh load|plug|unplug" >&2; exit 2 ;;
esac
