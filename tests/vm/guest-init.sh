#!/bin/busybox sh
# guest-init.sh - /init of both fixture initramfs images (busybox sh).
#
# Owns: what happens inside the guest.  In the first kernel: load modules,
# set up one zram swap device per compressor (steered by swap priority so that
# each workload pages out to exactly one device), start the workloads, write
# the report to the "report" disk, arm kdump, print UZ-READY, then wait for the
# host's command ("panic" or "poweroff") on the console.  In the capture kernel
# (/proc/vmcore exists): copy /proc/vmcore raw and through makedumpfile to the
# disks named in /etc/uzfix.conf and power off.
# Does not own: building the images, QEMU, dumps over QMP (tests/vm/fixtures,
# tests/vm/run_vm.py).  Lines starting with "UZ-" are the protocol with the host.

/bin/busybox mkdir -p /proc /sys /dev /run /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
# The images carry no device nodes (built without root): attach the console now.
exec < /dev/console > /dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu
. /etc/uzfix.conf

fail() {
	echo "UZ-FAIL init: $*"
	sleep 1
	poweroff -f
}

load_modules() {
	for m in $1; do
		insmod "/lib/uzmods/$m.ko" $(eval echo "\${MODPARAM_$m:-}") || fail "insmod $m"
	done
}

# Disks are found by their virtio serial, not by probe order.
find_disks() {
	for d in /sys/block/vd*; do
		[ -e "$d/serial" ] || continue
		s=$(cat "$d/serial")
		eval "DISK_$s=/dev/${d##*/}"
	done
}

wait_ready() {
	n=0
	while [ ! -e "/run/report/rows/$1.ready" ]; do
		n=$((n + 1))
		[ $n -gt "${READY_TENTHS:-1200}" ] && fail "workload $1 not ready after $((${READY_TENTHS:-1200} / 10)) s"
		usleep 100000
	done
}

capture_main() {
	echo "UZ-CAPTURE start $(cut -d' ' -f1 /proc/uptime)"
	load_modules "$CAPTURE_MODULES"
	find_disks
	echo "UZ-CAPTURE vmcore-size $(stat -c %s /proc/vmcore)"
	for spec in $CAPTURE_OUTPUTS; do
		name=${spec%%:*}
		opts=$(echo "${spec#*:}" | tr , ' ')
		disk=$(eval echo "\${DISK_$name:-}")
		[ -n "$disk" ] || { echo "UZ-FAIL capture: no disk $name"; continue; }
		t0=$(cut -d' ' -f1 /proc/uptime)
		if [ "$opts" = raw ]; then
			out=$(uzfix copy "$disk" < /proc/vmcore)
		else
			# --message-level 30: everything but the progress indicator.
			out=$(makedumpfile -F --message-level 30 $opts /proc/vmcore 2>/run/mdf.err | uzfix copy "$disk")
			sed 's/^/UZ-MDF '"$name"' /' /run/mdf.err
		fi
		t1=$(cut -d' ' -f1 /proc/uptime)
		echo "UZ-OUT $name ${out#UZ-COPIED } $t0 $t1"
	done
	echo "UZ-CAPTURE-DONE"
	sync
	poweroff -f
}

[ -e /proc/vmcore ] && capture_main

mount -t tmpfs tmpfs /run
mkdir -p /run/report/rows
R=/run/report
echo "UZ-BOOTED $(uname -r) $(cut -d' ' -f1 /proc/uptime)"
load_modules "$MAIN_MODULES"
find_disks
[ -n "${DISK_report:-}" ] || fail "no report disk"

if [ "$KDUMP" = 1 ] && [ -n "${TEXT_BEFORE_STEXT:-}" ] && ! grep -q ' _text$' /proc/kallsyms; then
	# kexec-tools 2.0.25 (arm64) needs _text from /proc/kallsyms to write the
	# kernel-text segment of /proc/vmcore's header; 6.1 arm64 lists only _stext.
	stext=$(sed -n 's/^\([0-9a-f]*\) T _stext$/\1/p' /proc/kallsyms)
	{ printf '%016x T _text\n' $((0x$stext - TEXT_BEFORE_STEXT)); cat /proc/kallsyms; } > /run/kallsyms
	mount --bind /run/kallsyms /proc/kallsyms || fail "bind mount kallsyms"
fi
if [ "$KDUMP" = 1 ]; then
	# kexec_load (Debian's arm64 6.1 has no CONFIG_KEXEC_FILE for -s).
	kexec -p /boot/vmlinuz --initrd=/boot/capture.cpio --append="$CAPTURE_CMDLINE" ||
		fail "kexec -p"
	[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || fail "crash kernel not loaded"
	echo "UZ-KDUMP-ARMED"
fi

printf 'type\tdevice\talgo\tprio\tpurpose\n' > $R/swaps.tsv
swap_type=0
# The per-CPU swap slot cache hands out up to 64 slots taken earlier from the
# previous device, whatever the priorities say.  swapoff drains every CPU's
# cache, so a tiny device is swapped off and on again after each new device.
# It is swapped on first and so keeps swap type 0 across the cycles.
DRAIN=zram9
drain_slot_cache() {
	swapoff /dev/$DRAIN || fail "swapoff $DRAIN"
	uzfix swapon /dev/$DRAIN 0 || fail "swapon $DRAIN"
}
# add_swap DEVICE ALGO PRIO PURPOSE DISKSIZE: the new device gets the highest
# priority so far, so the next workload's pages all go to it.
add_swap() {
	echo "$5" > "/sys/block/$1/disksize" || fail "disksize $1"
	mkswap "/dev/$1" > /dev/null || fail "mkswap $1"
	uzfix swapon "/dev/$1" "$3" || fail "swapon $1"
	printf '%s\t%s\t%s\t%s\t%s\n' $swap_type "$1" "$2" "$3" "$4" >> $R/swaps.tsv
	swap_type=$((swap_type + 1))
	[ "$1" = $DRAIN ] || drain_slot_cache
}

run_workload() {
	uzfix run "$@" &
	wait_ready "$2"
}

add_swap $DRAIN "$(sed 's/.*\[\(.*\)\].*/\1/' /sys/block/$DRAIN/comp_algorithm)" 0 drain 4M

# Big benchmark fixture (fixtures --big): only large regions, one device per
# compressor in BIG_COMPRESSORS, manifest sampled; no scenario/writeback devices.
big_main() {
	dev=0
	seed=1000
	: > $R/compressors.txt
	for algo in $BIG_COMPRESSORS; do
		echo "$algo" > /sys/block/zram$dev/comp_algorithm 2> /dev/null || fail "compressor $algo"
		echo "$algo yes zram$dev" >> $R/compressors.txt
		add_swap zram$dev "$algo" $((10 + dev)) "algo" "$BIG_DISKSIZE"
		t0=$(cut -d' ' -f1 /proc/uptime)
		run_workload region "alg-$algo" $R/rows $seed $REGION_PAGES "stride=$MANIFEST_STRIDE"
		echo "UZ-BIG $algo $REGION_PAGES pages in zram$dev: $t0 -> $(cut -d' ' -f1 /proc/uptime) s"
		dev=$((dev + 1))
		seed=$((seed + 1))
	done
}

# One device per compressor this kernel accepts.
dev=0
seed=1000
: > $R/compressors.txt
[ "${BIG:-0}" = 1 ] && big_main && COMPRESSORS=
for algo in $COMPRESSORS; do
	if echo "$algo" > /sys/block/zram$dev/comp_algorithm 2> /dev/null; then
		echo "$algo yes zram$dev" >> $R/compressors.txt
		add_swap zram$dev "$algo" $((10 + dev)) "algo" 64M
		run_workload region "alg-$algo" $R/rows $seed $REGION_PAGES
		dev=$((dev + 1))
		seed=$((seed + 1))
	else
		echo "$algo no" >> $R/compressors.txt
	fi
done
[ $dev -gt 0 ] || fail "no compressor accepted"

if [ "${BIG:-0}" != 1 ]; then
# Scenario device: the kernel's default compressor.
default_algo=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/block/zram$dev/comp_algorithm)
add_swap zram$dev "$default_algo" 50 scenarios 256M
run_workload fork fork $R/rows 2001 32
run_workload threads thr $R/rows 2002 16
run_workload thp thp $R/rows 2003 0
scen_dev=$dev
dev=$((dev + 1))
fi

# Writeback device: backing_dev must be set before disksize.
if [ "${BIG:-0}" != 1 ] && [ -n "${DISK_wb:-}" ] && [ -e /sys/block/zram$dev/backing_dev ]; then
	echo "$DISK_wb" > /sys/block/zram$dev/backing_dev || fail "backing_dev"
	add_swap zram$dev "$default_algo" 60 writeback 64M
	run_workload region wb $R/rows 3001 32 writeback
	echo all > /sys/block/zram$dev/idle || fail "idle"
	echo idle > /sys/block/zram$dev/writeback || fail "writeback"
	dev=$((dev + 1))
fi

# Facts for the manifest and info.json.
cat /proc/swaps > $R/proc-swaps.txt
for d in /sys/block/zram*; do
	[ -e "$d/mm_stat" ] || continue
	n=${d##*/}
	{
		echo "device $n"
		echo "comp_algorithm $(cat $d/comp_algorithm)"
		echo "disksize $(cat $d/disksize)"
		echo "mm_stat $(cat $d/mm_stat)"
		[ -e $d/bd_stat ] && echo "bd_stat $(cat $d/bd_stat)"
		[ -e $d/backing_dev ] && echo "backing_dev $(cat $d/backing_dev)"
	} >> $R/zram.txt
done
uname -r > $R/uname.txt
cat /proc/cmdline > $R/cmdline.txt
cat /proc/meminfo > $R/meminfo.txt
cat /sys/kernel/mm/transparent_hugepage/enabled > $R/thp.txt
printf 'scenario\tproc\tpid\ttgid\tvaddr\tlabel\tindex\tseed\tkind\tpte\tswap_type\tswap_offset\tswapcache\texpect\n' > $R/manifest.raw.tsv
cat $R/rows/*.tsv >> $R/manifest.raw.tsv
dmesg > $R/dmesg.txt
tar -cf "$DISK_report" -C /run report || fail "writing the report"
sync
echo "UZ-READY $(cut -d' ' -f1 /proc/uptime)"

while read -r cmd; do
	case "$cmd" in
	panic*)
		echo "UZ-PANIC"
		echo c > /proc/sysrq-trigger
		;;
	poweroff*)
		poweroff -f
		;;
	esac
done
fail "console closed"
