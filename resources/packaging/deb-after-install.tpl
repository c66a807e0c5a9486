#!/bin/bash
# After installing the deb: the desktop binary and the `aerie` command on PATH, and Chromium's
# sandbox helper set up as electron-builder's own script does. electron-builder fills in the
# ${...} macros; AERIE_PACKAGE_ROOT (empty when dpkg runs this) lets a test install into a folder.
root="${AERIE_PACKAGE_ROOT:-}"
app="$root/opt/${sanitizedProductName}"
mkdir -p "$root/usr/bin"
ln -sf "$app/${executable}" "$root/usr/bin/${executable}"
ln -sf "$app/resources/cli/aerie" "$root/usr/bin/aerie"

# SUID chrome-sandbox only where user namespaces do not work.
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; } 2>/dev/null; then
    chmod 4755 "$app/chrome-sandbox" 2>/dev/null || true
else
    chmod 0755 "$app/chrome-sandbox" 2>/dev/null || true
fi

if [ -z "$root" ] && hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi
