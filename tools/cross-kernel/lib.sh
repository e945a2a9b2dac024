# tools/cross-kernel/lib.sh: what run and programs share, sourced by both
# after they set $root (the repository) and $arch and define usage: the
# architecture table, apt (the machine's, or another release's for
# riscv64), the packages, Debian's kernel and the boot under qemu. Each
# step records its time with phase.
# shellcheck shell=bash
# shellcheck disable=SC2154 # $root and $arch are the caller's

# arch | Debian arch | kernel package | cross gcc triple | qemu binary | qemu package | machine | console
# ($suite: the Debian release the kernel comes from when it is not the
# machine's own, bookworm.)
suite=""
case $arch in
aarch64 | arm64) set -- aarch64 arm64 linux-image-arm64 aarch64-linux-gnu qemu-system-aarch64 qemu-system-arm "-M virt -cpu cortex-a57" ttyAMA0 ;;
arm | armhf) set -- arm armhf linux-image-armmp arm-linux-gnueabihf qemu-system-arm qemu-system-arm "-M virt -cpu cortex-a15" ttyAMA0 ;;
ppc64le | ppc64el) set -- ppc64le ppc64el linux-image-powerpc64le powerpc64le-linux-gnu qemu-system-ppc64 qemu-system-ppc "-M pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off -cpu power9" hvc0 ;;
s390x) set -- s390x s390x linux-image-s390x s390x-linux-gnu qemu-system-s390x qemu-system-misc "-M s390-ccw-virtio" ttysclp0 ;;
mips64el) set -- mips64el mips64el linux-image-5kc-malta mips64el-linux-gnuabi64 qemu-system-mips64el qemu-system-mips "-M malta -cpu 5KEc" ttyS0 ;;
x86 | i386) set -- x86 i386 linux-image-686 i686-linux-gnu qemu-system-i386 qemu-system-x86 "-M pc" ttyS0 ;;
x86_64 | amd64) set -- x86_64 amd64 linux-image-amd64 x86_64-linux-gnu qemu-system-x86_64 qemu-system-x86 "-M pc" ttyS0 ;;
loongarch64)
    echo "loongarch64: skipped: no Debian stable release (bookworm, trixie) has a loong64 kernel package, bookworm's qemu 7.2 boots only an ELF LoongArch kernel (Debian's newer ones are EFI zboot images), and libseccomp 2.5.4 has no LoongArch"
    exit 2
    ;;
# riscv64: qemu's own OpenSBI (qemu-system-data, a dependency of
# qemu-system-misc) as the firmware; it starts the kernel image (a flat
# Image, which Debian installs as /boot/vmlinux-*) in supervisor mode.
riscv64)
    set -- riscv64 riscv64 linux-image-riscv64 riscv64-linux-gnu qemu-system-riscv64 qemu-system-misc "-M virt -bios default" ttyS0
    suite=trixie
    ;;
*) usage ;;
esac
name=$1 debarch=$2 kpkg=$3 triple=$4 qemu=$5 qemupkg=$6 machine=$7 console=$8

cache=$root/target/cross-kernel
mkdir -p "$cache/debs"
export DEBIAN_FRONTEND=noninteractive

# The kernel's apt: the machine's own, or for a kernel of another release
# ($suite) a configuration used only here, under target/cross-kernel/apt-SUITE-ARCH/:
# its own sources list (that release's main, for this architecture, the
# Packages index only), index lists, cache and an empty dpkg status. The
# machine's sources, lists and dpkg architectures are left alone. apt checks
# the release's InRelease signature against debian-archive-keyring (whose
# bookworm package carries the trixie keys) and the .deb's hash against the
# signed index, as for the machine's own sources.
apt_opts=()
if [ -n "$suite" ]; then
    adir=$cache/apt-$suite-$debarch
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -r "$keyring" ] || { echo "$name: $keyring is missing (debian-archive-keyring), so $suite's index cannot be checked" >&2; exit 1; }
    mkdir -p "$adir/lists/partial" "$adir/cache/archives/partial" "$adir/sources.list.d" "$adir/preferences.d"
    echo "deb [arch=$debarch target=Packages signed-by=$keyring] http://deb.debian.org/debian $suite main" >"$adir/sources.list"
    touch "$adir/status"
    apt_opts=(
        -o "Dir::Etc::sourcelist=$adir/sources.list" -o "Dir::Etc::sourceparts=$adir/sources.list.d"
        -o "Dir::Etc::preferencesparts=$adir/preferences.d" -o "Dir::State::Lists=$adir/lists"
        -o "Dir::State::status=$adir/status" -o "Dir::Cache=$adir/cache"
        -o "APT::Architecture=$debarch" -o "APT::Architectures::=$debarch"
    )
fi
update() { # apt-get update; with the machine's sources a failed index (a mirror mid-sync) is not fatal
    local log=$cache/apt-update${suite:+-$suite}.log rc=0
    apt-get "${apt_opts[@]}" update -qq >"$log" 2>&1 || rc=$?
    if [ -n "$suite" ]; then
        # Its one index is the kernel's: every complaint is shown (apt
        # counts an unreachable server as a warning and keeps the old
        # index), and an error ends the run.
        if [ $rc -ne 0 ]; then
            echo "$name: apt-get update of $suite's $debarch index failed (${log#"$root"/}):" >&2
        fi
        grep -E '^(E|W):' "$log" >&2 || true
        [ $rc -eq 0 ] || exit 1
    elif [ $rc -ne 0 ]; then
        echo "apt-get update reported errors (${log#"$root"/}); going on with the indexes it has"
    fi
}

t_all=$(date +%s.%N)
t=$t_all
times=()
phase() { # phase NAME: record the time since the previous phase
    local now
    now=$(date +%s.%N)
    times+=("$(printf '%-9s %6.1f s' "$1" "$(echo "$now - $t" | bc)")")
    t=$now
}

# Packages: qemu, the cross compiler and its static C library.
gcc=$triple-gcc
need=()
command -v "$qemu" >/dev/null || need+=("$qemupkg")
command -v bc >/dev/null || need+=(bc)
if [ "$debarch" != amd64 ]; then
    command -v "$gcc" >/dev/null || need+=("gcc-$triple")
    dpkg -s "libc6-dev-$debarch-cross" >/dev/null 2>&1 || need+=("libc6-dev-$debarch-cross")
else
    gcc=gcc
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    update
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
phase packages

# Debian's kernel for the architecture, extracted once.
kdir=$cache/$name-kernel
first() { [ -e "$1" ] && echo "$1"; } # the first match of a glob, if any
# download PKG: fetches PKG:$debarch into the cache once and prints the
# .deb's path; apt's messages go to stderr.
download() {
    local deb
    deb=$(first "$cache/debs/${1}_"*"_$debarch.deb") && { echo "$deb"; return; }
    (
        cd "$cache/debs"
        apt-get "${apt_opts[@]}" download -q "$1:$debarch" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2
    ) || true
    first "$cache/debs/${1}_"*"_$debarch.deb"
}
# shellcheck disable=SC2086 # the glob is meant to expand
kernel=$(first $kdir/boot/vmlinu[xz]-* || true)
if [ -z "$kernel" ]; then
    # apt-get download needs the architecture in dpkg's list (the machine's
    # apt) or in the configuration (another release's).
    if [ -z "$suite" ] && [ "$debarch" != "$(dpkg --print-architecture)" ] &&
        ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
        dpkg --add-architecture "$debarch"
        update
    fi
    # The metapackage names the current kernel package.
    depends() { # empty when the index does not know the metapackage
        { apt-cache "${apt_opts[@]}" show --no-all-versions "$kpkg:$debarch" 2>/dev/null || true; } |
            sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -n1
    }
    real=$(depends)
    if [ -z "$real" ]; then
        update
        real=$(depends)
    fi
    [ -n "$real" ] || { echo "$name: no kernel package behind $kpkg:$debarch${suite:+ in $suite}" >&2; exit 1; }
    # An index older than the archive may name a kernel that is gone: once
    # more with a fresh index.
    if ! deb=$(download "$real"); then
        update
        real=$(depends)
        deb=$(download "$real") ||
            { echo "$name: could not download $real:$debarch${suite:+ from $suite}" >&2; exit 1; }
    fi
    mkdir -p "$kdir"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir" ./boot
    basename "$deb" >"$kdir/package"
    # shellcheck disable=SC2086
    kernel=$(first $kdir/boot/vmlinu[xz]-*)
fi
echo "kernel: ${kernel#"$root"/} (from $(cat "$kdir/package" 2>/dev/null || echo '?'))"
phase kernel

# boot INITRD LOG: boots the kernel with INITRD; the console goes to LOG.
# PID 1 of the initramfs powers the machine off when it is done; a kernel
# panic (panic=-1) or a reboot ends qemu too (-no-reboot). The guest needs
# no network: -nic none keeps qemu from adding the machine's default NIC,
# whose option ROM (efi-virtio.rom, from ipxe-qemu, only a Recommends of
# qemu-system-*) a --no-install-recommends install lacks. A qemu that fails
# or times out is reported with the log's end; the status is qemu's.
boot() {
    local rc=0
    # shellcheck disable=SC2086 # $machine is a list of words
    timeout "${CROSS_KERNEL_TIMEOUT:-900}" "$qemu" $machine -m 1024 -smp 1 -nic none \
        -nographic -no-reboot -kernel "$kernel" -initrd "$1" \
        -append "console=$console rdinit=/init loglevel=1 panic=-1" \
        </dev/null >"$2" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        echo "$qemu exited with status $rc (124: timed out); console log: ${2#"$root"/}, ending:"
        tail -n 5 "$2"
    fi
    return $rc
}
