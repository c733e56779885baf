#!/bin/sh
# deb post-remove of the tray app: no autostart entry without the app.
set -e
rm -f /etc/xdg/autostart/jp.mynumber-guard.tray.desktop
