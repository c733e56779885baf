#!/bin/sh
# deb post-install of the tray app: start it at login for every user (XDG Autostart Specification).
# The entry is kept in the package's resources and checked against src/main/autostart.ts by
# src/main/autostart-packaging.test.ts.
set -e
install -D -m 0644 /opt/mynumber-guard/resources/autostart/jp.mynumber-guard.tray.desktop /etc/xdg/autostart/jp.mynumber-guard.tray.desktop
