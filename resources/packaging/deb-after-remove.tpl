#!/bin/bash
# After removing the deb: the links that deb-after-install.tpl made, and only those.
root="${AERIE_PACKAGE_ROOT:-}"
for link in "$root/usr/bin/${executable}" "$root/usr/bin/aerie"; do
    case "$(readlink "$link" 2>/dev/null)" in
        */opt/${sanitizedProductName}/*) rm -f "$link" ;;
    esac
done
