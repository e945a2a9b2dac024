"""Per-architecture syscall signatures for argument conditions.

Writes seccomp-policy-compiler/src/tables/signatures/<arch>.rs: for every
system call of the architecture whose prototype is known, its parameters in
order with the kernel's name, the `seccomp_data.args[i]` slot, the width the
kernel reads it with, and whether it is a pointer; and every other system
call of the architecture with the reason it has none.

The prototypes come from include/linux/syscalls.h of Linux 6.1, as Debian
bookworm ships it in linux-headers-6.1.0-<N>-common (fetched with
`apt-get download`, newest N), and for the system calls added since, from
their SYSCALL_DEFINEs in Linux 6.17 (NEWER_THAN_SOURCE, transcribed below
with the file each is defined in). Which function each architecture enters for
each name is in syscall_entries.py; the rest of what the header does not say
is below, each fact with the kernel file it was read from. See README.md
beside this file for the rules.
"""

import glob
import os
import re
import subprocess
import sys
import tarfile
import tempfile

import spans

from syscall_entries import ENTRY_POINTS

SOURCE = (
    "include/linux/syscalls.h of Linux 6.1, Debian bookworm linux-headers-6.1.0-*-common;"
    " calls added since, the SYSCALL_DEFINEs of Linux 6.17"
)
PACKAGE = re.compile(r"^linux-headers-6\.1\.0-([0-9]+)-common$")
MEMBER = re.compile(r"^\./usr/src/linux-headers-6\.1\.0-[0-9]+-common/include/linux/syscalls\.h$")

# Architectures whose registers are 32 bits wide: a parameter is at most 32
# bits there, and a 64-bit-typed one takes two slots (see slots()).
BITS32 = {"x86", "arm"}

# Kernel configuration that chooses between prototypes of one function, per
# architecture (arch/Kconfig and each arch/<arch>/Kconfig of Linux 6.1):
# - CLONE_BACKWARDS: tls is clone's 4th argument. Selected by X86_32, ARM,
#   ARM64, RISCV, PPC and MIPS.
# - CLONE_BACKWARDS2: clone's first two arguments are swapped. S390.
# - CLONE_BACKWARDS3: clone has a stack_size argument. Only microblaze.
#   x86_64 (X86_64 selects none of the three) and loongarch64 use the plain
#   order: flags, newsp, parent_tidptr, child_tidptr, tls.
# - ARCH_SPLIT_ARG64: fanotify_mark takes its 64-bit mask as two u32
#   arguments. Selected by X86_32 (and PPC32, MIPS32 o32: not here).
# - OLD_SIGSUSPEND / OLD_SIGSUSPEND3: sigsuspend's one- or three-argument
#   form. PPC selects OLD_SIGSUSPEND; ARM, S390 and x86's COMPAT_32 (which
#   X86_32 implies) select OLD_SIGSUSPEND3.
# - ODD_RT_SIGACTION: alpha and sparc only.
ARCH_CONFIG = {
    "x86_64": set(),
    "x86": {"CONFIG_CLONE_BACKWARDS", "CONFIG_ARCH_SPLIT_ARG64", "CONFIG_OLD_SIGSUSPEND3"},
    "aarch64": {"CONFIG_CLONE_BACKWARDS"},
    "arm": {"CONFIG_CLONE_BACKWARDS", "CONFIG_OLD_SIGSUSPEND3"},
    "riscv64": {"CONFIG_CLONE_BACKWARDS"},
    "ppc64le": {"CONFIG_CLONE_BACKWARDS", "CONFIG_OLD_SIGSUSPEND"},
    "s390x": {"CONFIG_CLONE_BACKWARDS2", "CONFIG_OLD_SIGSUSPEND3"},
    "loongarch64": set(),
    "mips64el": {"CONFIG_CLONE_BACKWARDS"},
}
CONFIGS = {
    "CONFIG_CLONE_BACKWARDS",
    "CONFIG_CLONE_BACKWARDS2",
    "CONFIG_CLONE_BACKWARDS3",
    "CONFIG_ARCH_SPLIT_ARG64",
    "CONFIG_OLD_SIGSUSPEND",
    "CONFIG_OLD_SIGSUSPEND3",
    "CONFIG_ODD_RT_SIGACTION",
}

# The preprocessor conditions around prototypes in syscalls.h. "always":
# the prototype is there whatever the condition says, because it only decides
# whether a declaration exists, and which architectures use the function is
# the business of their syscall tables (syscall_entries.py). A name from
# CONFIGS: evaluated per architecture with ARCH_CONFIG. Any other condition
# around a prototype is an error.
CONDITIONS = {
    "ifndef _LINUX_SYSCALLS_H": "always",
    # The wrapper changes how a syscall reads its arguments (from pt_regs),
    # not their order or types.
    "ifndef CONFIG_ARCH_HAS_SYSCALL_WRAPPER": "always",
    "if BITS_PER_LONG == 32": "always",
    "if defined(__ARCH_WANT_STAT64) || defined(__ARCH_WANT_COMPAT_STAT64)": "always",
    "ifdef __ARCH_WANT_SYS_UTIME": "always",
    "ifdef CONFIG_OLD_SIGACTION": "always",
    "ifdef CONFIG_HAVE_UID16": "always",
    "ifdef __ARCH_WANT_SYS_OLD_GETRLIMIT": "always",
    "ifndef CONFIG_ODD_RT_SIGACTION": "CONFIG_ODD_RT_SIGACTION",
    "ifdef CONFIG_CLONE_BACKWARDS": "CONFIG_CLONE_BACKWARDS",
    "ifdef CONFIG_CLONE_BACKWARDS3": "CONFIG_CLONE_BACKWARDS3",
    "if defined(CONFIG_ARCH_SPLIT_ARG64)": "CONFIG_ARCH_SPLIT_ARG64",
    "ifdef CONFIG_OLD_SIGSUSPEND": "CONFIG_OLD_SIGSUSPEND",
    "ifdef CONFIG_OLD_SIGSUSPEND3": "CONFIG_OLD_SIGSUSPEND3",
}

# Parameter names for the prototypes syscalls.h declares without them, from
# the SYSCALL_DEFINEn in the kernel's .c file (Linux 6.1). Every unnamed
# prototype must be here, and nothing else.
UNNAMED = {
    "sys_io_submit": ("fs/aio.c", ["ctx_id", "nr", "iocbpp"]),
    "sys_pselect6": ("fs/select.c", ["n", "inp", "outp", "exp", "tsp", "sig"]),
    "sys_pselect6_time32": ("fs/select.c", ["n", "inp", "outp", "exp", "tsp", "sig"]),
    "sys_ppoll": ("fs/select.c", ["ufds", "nfds", "tsp", "sigmask", "sigsetsize"]),
    "sys_ppoll_time32": ("fs/select.c", ["ufds", "nfds", "tsp", "sigmask", "sigsetsize"]),
    "sys_rt_sigaction": ("kernel/signal.c", ["sig", "act", "oact", "sigsetsize"]),
    "sys_sigaction": ("kernel/signal.c", ["sig", "act", "oact"]),
    "sys_socket": ("net/socket.c", ["family", "type", "protocol"]),
    "sys_socketpair": ("net/socket.c", ["family", "type", "protocol", "usockvec"]),
    "sys_bind": ("net/socket.c", ["fd", "umyaddr", "addrlen"]),
    "sys_listen": ("net/socket.c", ["fd", "backlog"]),
    "sys_accept": ("net/socket.c", ["fd", "upeer_sockaddr", "upeer_addrlen"]),
    "sys_accept4": ("net/socket.c", ["fd", "upeer_sockaddr", "upeer_addrlen", "flags"]),
    "sys_connect": ("net/socket.c", ["fd", "uservaddr", "addrlen"]),
    "sys_getsockname": ("net/socket.c", ["fd", "usockaddr", "usockaddr_len"]),
    "sys_getpeername": ("net/socket.c", ["fd", "usockaddr", "usockaddr_len"]),
    "sys_sendto": ("net/socket.c", ["fd", "buff", "len", "flags", "addr", "addr_len"]),
    "sys_recvfrom": ("net/socket.c", ["fd", "ubuf", "size", "flags", "addr", "addr_len"]),
    "sys_send": ("net/socket.c", ["fd", "buff", "len", "flags"]),
    "sys_recv": ("net/socket.c", ["fd", "ubuf", "size", "flags"]),
    "sys_shutdown": ("net/socket.c", ["fd", "how"]),
    "sys_old_readdir": ("fs/readdir.c", ["fd", "dirent", "count"]),
    "sys_uname": ("kernel/sys.c", ["name"]),
    "sys_olduname": ("kernel/sys.c", ["name"]),
}

# Where syscalls.h names a parameter differently from the function's
# SYSCALL_DEFINEn, the definition's name is the kernel's: it is the one the
# kernel reports (the syscall tracepoints, whose format files the suite's
# tracefs test compares against, and audit). {function: (file, {name in
# syscalls.h: name in the definition})}, from Linux 6.1. Each renamed name
# must appear in the header.
DEFINITION_NAMES = {
    "sys_add_key": ("security/keys/keyctl.c", {"destringid": "ringid"}),
    "sys_adjtimex_time32": ("kernel/time/time.c", {"txc_p": "utp"}),
    "sys_bpf": ("kernel/bpf/syscall.c", {"attr": "uattr"}),
    "sys_clock_adjtime": ("kernel/time/posix-timers.c", {"tx": "utx"}),
    "sys_clock_adjtime32": ("kernel/time/posix-timers.c", {"tx": "utp"}),
    "sys_execveat": ("fs/exec.c", {"dfd": "fd"}),
    "sys_fsconfig": ("fs/fsopen.c", {"fs_fd": "fd", "key": "_key", "value": "_value"}),
    "sys_fsmount": ("fs/namespace.c", {"ms_flags": "attr_flags"}),
    "sys_fsopen": ("fs/fsopen.c", {"fs_name": "_fs_name"}),
    "sys_getcpu": ("kernel/sys.c", {"cpu": "cpup", "node": "nodep", "cache": "unused"}),
    "sys_getrandom": ("drivers/char/random.c", {"buf": "ubuf", "count": "len"}),
    "sys_getresgid": ("kernel/sys.c", {"rgid": "rgidp", "egid": "egidp", "sgid": "sgidp"}),
    "sys_getresgid16": ("kernel/uid16.c", {"rgid": "rgidp", "egid": "egidp", "sgid": "sgidp"}),
    "sys_getresuid": ("kernel/sys.c", {"ruid": "ruidp", "euid": "euidp", "suid": "suidp"}),
    "sys_getresuid16": ("kernel/uid16.c", {"ruid": "ruidp", "euid": "euidp", "suid": "suidp"}),
    "sys_getxattr": ("fs/xattr.c", {"path": "pathname"}),
    "sys_inotify_add_watch": ("fs/notify/inotify/inotify_user.c", {"path": "pathname"}),
    "sys_io_pgetevents": ("fs/aio.c", {"sig": "usig"}),
    "sys_io_pgetevents_time32": ("fs/aio.c", {"sig": "usig"}),
    "sys_io_setup": ("fs/aio.c", {"nr_reqs": "nr_events", "ctx": "ctxp"}),
    "sys_io_uring_register": ("io_uring/io_uring.c", {"op": "opcode"}),
    "sys_io_uring_setup": ("io_uring/io_uring.c", {"p": "params"}),
    "sys_ioperm": ("arch/x86/kernel/ioport.c", {"on": "turn_on"}),
    "sys_keyctl": ("security/keys/keyctl.c", {"cmd": "option"}),
    "sys_lgetxattr": ("fs/xattr.c", {"path": "pathname"}),
    "sys_listxattr": ("fs/xattr.c", {"path": "pathname"}),
    "sys_llistxattr": ("fs/xattr.c", {"path": "pathname"}),
    "sys_lremovexattr": ("fs/xattr.c", {"path": "pathname"}),
    "sys_lsetxattr": ("fs/xattr.c", {"path": "pathname"}),
    "sys_madvise": ("mm/madvise.c", {"len": "len_in"}),
    "sys_memfd_create": ("mm/memfd.c", {"uname_ptr": "uname"}),
    "sys_migrate_pages": ("mm/mempolicy.c", {"from": "old_nodes", "to": "new_nodes"}),
    "sys_move_mount": (
        "fs/namespace.c",
        {
            "from_path": "from_pathname",
            "to_path": "to_pathname",
            "ms_flags": "flags",
        },
    ),
    "sys_mq_getsetattr": ("ipc/mqueue.c", {"mqstat": "u_mqstat", "omqstat": "u_omqstat"}),
    "sys_mq_notify": ("ipc/mqueue.c", {"notification": "u_notification"}),
    "sys_mq_open": ("ipc/mqueue.c", {"name": "u_name", "attr": "u_attr"}),
    "sys_mq_timedreceive": (
        "ipc/mqueue.c",
        {
            "msg_ptr": "u_msg_ptr",
            "msg_prio": "u_msg_prio",
            "abs_timeout": "u_abs_timeout",
        },
    ),
    "sys_mq_timedsend": ("ipc/mqueue.c", {"msg_ptr": "u_msg_ptr", "abs_timeout": "u_abs_timeout"}),
    "sys_mq_unlink": ("ipc/mqueue.c", {"name": "u_name"}),
    "sys_open_tree": ("fs/namespace.c", {"path": "filename"}),
    "sys_openat2": ("fs/open.c", {"size": "usize"}),
    "sys_poll": ("fs/select.c", {"timeout": "timeout_msecs"}),
    "sys_readlinkat": ("fs/stat.c", {"path": "pathname"}),
    "sys_recvmmsg": ("net/socket.c", {"msg": "mmsg"}),
    "sys_recvmmsg_time32": ("net/socket.c", {"msg": "mmsg"}),
    "sys_removexattr": ("fs/xattr.c", {"path": "pathname"}),
    "sys_rt_sigpending": ("kernel/signal.c", {"set": "uset"}),
    "sys_rt_sigprocmask": ("kernel/signal.c", {"set": "nset"}),
    "sys_sched_getattr": ("kernel/sched/core.c", {"attr": "uattr", "size": "usize"}),
    "sys_sched_setattr": ("kernel/sched/core.c", {"attr": "uattr"}),
    "sys_semop": ("ipc/sem.c", {"sops": "tsops"}),
    "sys_semtimedop": ("ipc/sem.c", {"sops": "tsops"}),
    "sys_semtimedop_time32": ("ipc/sem.c", {"sops": "tsems"}),
    "sys_sendmmsg": ("net/socket.c", {"msg": "mmsg"}),
    "sys_setns": ("kernel/nsproxy.c", {"nstype": "flags"}),
    "sys_setxattr": ("fs/xattr.c", {"path": "pathname"}),
    "sys_shmget": ("ipc/shm.c", {"flag": "shmflg"}),
    "sys_sigprocmask": ("kernel/signal.c", {"set": "nset"}),
    "sys_statfs": ("fs/statfs.c", {"path": "pathname"}),
    "sys_statfs64": ("fs/statfs.c", {"path": "pathname"}),
    "sys_statx": ("fs/stat.c", {"path": "filename"}),
    "sys_symlink": ("fs/namei.c", {"old": "oldname", "new": "newname"}),
    "sys_vmsplice": ("fs/splice.c", {"iov": "uiov"}),
    "sys_wait4": ("kernel/exit.c", {"pid": "upid"}),
    "sys_waitid": ("kernel/exit.c", {"pid": "upid"}),
    # SYSCALL_DEFINE5(fanotify_mark, ..., int, dfd, ...); with
    # ARCH_SPLIT_ARG64 (x86 here), SYSCALL32_DEFINE6 takes SC_ARG64(mask),
    # which syscalls.h spells `u32, mask_lo, u32, mask_hi` on little-endian
    # machines.
    "sys_fanotify_mark": (
        "fs/notify/fanotify/fanotify_user.c",
        {"fd": "dfd", "mask_1": "mask_lo", "mask_2": "mask_hi"},
    ),
}

# Functions syscalls.h still declares but Linux 6.1 no longer defines: only
# kernel/sys_ni.c's COND_SYSCALL names them, so they return ENOSYS like an
# unimplemented call. lookup_dcookie went with fs/dcookies.c in Linux 5.12.
NOT_DEFINED = {"sys_lookup_dcookie"}

# clone's names depend on the configuration (kernel/fork.c). syscalls.h has
# one prototype for CLONE_BACKWARDS, one for CLONE_BACKWARDS3 and one for
# everything else, which covers CLONE_BACKWARDS2 too: its types are the same
# as the plain order's, only the meaning of the first two differs.
CLONE_NAMES = {
    "CONFIG_CLONE_BACKWARDS": ["clone_flags", "newsp", "parent_tidptr", "tls", "child_tidptr"],
    "CONFIG_CLONE_BACKWARDS2": ["newsp", "clone_flags", "parent_tidptr", "child_tidptr", "tls"],
    "CONFIG_CLONE_BACKWARDS3": [
        "clone_flags",
        "newsp",
        "stack_size",
        "parent_tidptr",
        "child_tidptr",
        "tls",
    ],
    None: ["clone_flags", "newsp", "parent_tidptr", "child_tidptr", "tls"],
}

# Entry points that are thin wrappers around a function of syscalls.h, and
# which function's prototype describes them.
WRAPPERS = {
    # arch/x86/kernel/sys_ia32.c: each takes its 64-bit arguments as two u32
    # halves and calls the generic function. The parameters before the first
    # 64-bit one are the generic function's, and that one and all after it
    # are not addressable on x86 (see slots()), so the generic prototype
    # describes what a condition can use.
    "x86": {
        "sys_ia32_fadvise64": "sys_fadvise64",
        "sys_ia32_fadvise64_64": "sys_fadvise64_64",
        "sys_ia32_fallocate": "sys_fallocate",
        "sys_ia32_ftruncate64": "sys_ftruncate64",
        "sys_ia32_pread64": "sys_pread64",
        "sys_ia32_pwrite64": "sys_pwrite64",
        "sys_ia32_readahead": "sys_readahead",
        "sys_ia32_sync_file_range": "sys_sync_file_range",
        "sys_ia32_truncate64": "sys_truncate64",
    },
    # arch/arm/kernel/entry-common.S: the *statfs64 wrappers fix up the size
    # argument and branch to the generic function; sys_mmap2 stores r5 (the
    # offset in pages) and branches to sys_mmap_pgoff; the sigreturn wrappers
    # pass the saved registers to the functions below.
    "arm": {
        "sys_statfs64_wrapper": "sys_statfs64",
        "sys_fstatfs64_wrapper": "sys_fstatfs64",
        "sys_mmap2": "sys_mmap_pgoff",
        "sys_sigreturn_wrapper": "sys_sigreturn",
        "sys_rt_sigreturn_wrapper": "sys_rt_sigreturn",
    },
    # arch/mips/kernel/syscall.c: save_static_function(sys_fork), (sys_clone),
    # (sys_clone3) and (sys_sysmips) save the static registers and jump to
    # the function.
    "mips64el": {
        "__sys_fork": "sys_fork",
        "__sys_clone": "sys_clone",
        "__sys_clone3": "sys_clone3",
        "__sys_sysmips": "sys_sysmips",
    },
}

# Architecture-specific entry points syscalls.h does not declare, from their
# SYSCALL_DEFINEn (or asmlinkage definition) in Linux 6.1. An empty list is a
# call without parameters; the arm and mips sigreturn functions receive the
# saved registers from their entry code, not from the caller.
ARCH_PROTOTYPES = {
    "x86_64": {
        "sys_arch_prctl": ("arch/x86/kernel/process_64.c", "int option, unsigned long arg2"),
        "sys_iopl": ("arch/x86/kernel/ioport.c", "unsigned int level"),
        "sys_mmap": (
            "arch/x86/kernel/sys_x86_64.c",
            "unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags,"
            " unsigned long fd, unsigned long off",
        ),
        "sys_modify_ldt": (
            "arch/x86/kernel/ldt.c",
            "int func, void __user *ptr, unsigned long bytecount",
        ),
        "sys_rt_sigreturn": ("arch/x86/kernel/signal.c", "void"),
    },
    "x86": {
        "sys_arch_prctl": ("arch/x86/kernel/process_32.c", "int option, unsigned long arg2"),
        "sys_get_thread_area": ("arch/x86/kernel/tls.c", "struct user_desc __user *u_info"),
        "sys_set_thread_area": ("arch/x86/kernel/tls.c", "struct user_desc __user *u_info"),
        "sys_iopl": ("arch/x86/kernel/ioport.c", "unsigned int level"),
        "sys_modify_ldt": (
            "arch/x86/kernel/ldt.c",
            "int func, void __user *ptr, unsigned long bytecount",
        ),
        "sys_rt_sigreturn": ("arch/x86/kernel/signal.c", "void"),
        "sys_sigreturn": ("arch/x86/kernel/signal.c", "void"),
        "sys_vm86": ("arch/x86/kernel/vm86_32.c", "unsigned long cmd, unsigned long arg"),
        "sys_vm86old": ("arch/x86/kernel/vm86_32.c", "struct vm86_struct __user *user_vm86"),
    },
    "aarch64": {
        "sys_mmap": (
            "arch/arm64/kernel/sys.c",
            "unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags,"
            " unsigned long fd, unsigned long off",
        ),
        "sys_rt_sigreturn": ("arch/arm64/kernel/signal.c", "void"),
    },
    "arm": {
        "sys_arm_fadvise64_64": (
            "arch/arm/kernel/sys_arm.c",
            "int fd, int advice, loff_t offset, loff_t len",
        ),
        "sys_rt_sigreturn": ("arch/arm/kernel/signal.c", "void"),
        "sys_sigreturn": ("arch/arm/kernel/signal.c", "void"),
    },
    "riscv64": {
        "sys_mmap": (
            "arch/riscv/kernel/sys_riscv.c",
            "unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags,"
            " unsigned long fd, off_t offset",
        ),
        "sys_riscv_flush_icache": (
            "arch/riscv/kernel/sys_riscv.c",
            "uintptr_t start, uintptr_t end, uintptr_t flags",
        ),
        "sys_rt_sigreturn": ("arch/riscv/kernel/signal.c", "void"),
    },
    "ppc64le": {
        "sys_mmap": (
            "arch/powerpc/kernel/syscalls.c",
            "unsigned long addr, size_t len, unsigned long prot, unsigned long flags,"
            " unsigned long fd, off_t offset",
        ),
        "sys_ppc64_personality": ("arch/powerpc/kernel/syscalls.c", "unsigned long personality"),
        "sys_switch_endian": ("arch/powerpc/kernel/syscalls.c", "void"),
        "sys_rtas": ("arch/powerpc/kernel/rtas.c", "struct rtas_args __user *uargs"),
        "sys_subpage_prot": (
            "arch/powerpc/mm/book3s64/subpage_prot.c",
            "unsigned long addr, unsigned long len, u32 __user *map",
        ),
        "sys_swapcontext": (
            "arch/powerpc/kernel/signal_64.c",
            "struct ucontext __user *old_ctx, struct ucontext __user *new_ctx, long ctx_size",
        ),
        "sys_rt_sigreturn": ("arch/powerpc/kernel/signal_64.c", "void"),
    },
    "s390x": {
        "sys_s390_ipc": (
            "arch/s390/kernel/syscall.c",
            "uint call, int first, unsigned long second, unsigned long third, void __user *ptr",
        ),
        "sys_s390_personality": ("arch/s390/kernel/syscall.c", "unsigned int personality"),
        "sys_s390_guarded_storage": (
            "arch/s390/kernel/guarded_storage.c",
            "int command, struct gs_cb __user *gs_cb",
        ),
        "sys_s390_pci_mmio_read": (
            "arch/s390/pci/pci_mmio.c",
            "unsigned long mmio_addr, void __user *user_buffer, size_t length",
        ),
        "sys_s390_pci_mmio_write": (
            "arch/s390/pci/pci_mmio.c",
            "unsigned long mmio_addr, const void __user *user_buffer, size_t length",
        ),
        "sys_s390_runtime_instr": ("arch/s390/kernel/runtime_instr.c", "int command, int signum"),
        "sys_s390_sthyi": (
            "arch/s390/kernel/sthyi.c",
            "unsigned long function_code, void __user *buffer, u64 __user *return_code,"
            " unsigned long flags",
        ),
        "sys_rt_sigreturn": ("arch/s390/kernel/signal.c", "void"),
        "sys_sigreturn": ("arch/s390/kernel/signal.c", "void"),
    },
    "loongarch64": {
        "sys_mmap": (
            "arch/loongarch/kernel/syscall.c",
            "unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags,"
            " unsigned long fd, off_t offset",
        ),
        "sys_rt_sigreturn": ("arch/loongarch/kernel/signal.c", "void"),
    },
    "mips64el": {
        "sys_mips_mmap": (
            "arch/mips/kernel/syscall.c",
            "unsigned long addr, unsigned long len, unsigned long prot, unsigned long flags,"
            " unsigned long fd, off_t offset",
        ),
        "sysm_pipe": ("arch/mips/kernel/syscall.c", "void"),
        "sys_set_thread_area": ("arch/mips/kernel/syscall.c", "unsigned long addr"),
        "sys_sysmips": ("arch/mips/kernel/syscall.c", "long cmd, long arg1, long arg2"),
        "sys_cachectl": ("arch/mips/kernel/syscall.c", "char *addr, int nbytes, int op"),
        "sys_cacheflush": (
            "arch/mips/mm/cache.c",
            "unsigned long addr, unsigned long bytes, unsigned int cache",
        ),
        "sys_rt_sigreturn": ("arch/mips/kernel/signal.c", "void"),
    },
}

# System calls newer than Linux 6.1: the 6.1 header does not declare them,
# so their prototypes are transcribed from their SYSCALL_DEFINEn in Linux 6.17,
# the version of the syscall tables, with the version that added each and the
# file that defines it. Every architecture whose table has one of these names
# enters `sys_<name>` for it (arch/x86/entry/syscalls/syscall_64.tbl and
# syscall_32.tbl, arch/arm/tools/syscall.tbl,
# arch/powerpc/kernel/syscalls/syscall.tbl, arch/s390/kernel/syscalls/syscall.tbl,
# arch/mips/kernel/syscalls/syscall_n64.tbl, scripts/syscall.tbl of 6.17), so
# no entry point of syscall_entries.py is involved. The names are the
# definitions', which the syscall tracepoints report; the tracefs comparison
# (tests/signatures_tracefs.rs) checks the x86_64 ones against a running
# kernel.
#
# Where a definition depends on the configuration, the table still assigns
# the number and the kernel answers ENOSYS without it (kernel/sys_ni.c's
# COND_SYSCALL); the parameters are the same wherever it exists:
# - map_shadow_stack is declared in include/linux/syscalls.h and defined by
#   arch/x86/kernel/shstk.c (X86_USER_SHADOW_STACK) and arch/arm64/mm/gcs.c
#   (ARM64_GCS, 6.13), with the same parameters.
# - mseal: mm/Makefile builds mm/mseal.c only for 64BIT, so on x86 and arm the
#   number answers ENOSYS.
# - uretprobe (x86_64) and riscv_hwprobe (riscv64) are in one table each.
NEWER_THAN_SOURCE = {
    "riscv_hwprobe": (
        "6.4",
        "arch/riscv/kernel/sys_hwprobe.c",
        "struct riscv_hwprobe __user *pairs, size_t pair_count, size_t cpusetsize,"
        " unsigned long __user *cpus, unsigned int flags",
    ),
    "cachestat": (
        "6.5",
        "mm/filemap.c",
        "unsigned int fd, struct cachestat_range __user *cstat_range,"
        " struct cachestat __user *cstat, unsigned int flags",
    ),
    "fchmodat2": (
        "6.6",
        "fs/open.c",
        "int dfd, const char __user *filename, umode_t mode, unsigned int flags",
    ),
    "map_shadow_stack": (
        "6.6",
        "arch/x86/kernel/shstk.c",
        "unsigned long addr, unsigned long size, unsigned int flags",
    ),
    "futex_wake": (
        "6.7",
        "kernel/futex/syscalls.c",
        "void __user *uaddr, unsigned long mask, int nr, unsigned int flags",
    ),
    "futex_wait": (
        "6.7",
        "kernel/futex/syscalls.c",
        "void __user *uaddr, unsigned long val, unsigned long mask, unsigned int flags,"
        " struct __kernel_timespec __user *timeout, clockid_t clockid",
    ),
    "futex_requeue": (
        "6.7",
        "kernel/futex/syscalls.c",
        "struct futex_waitv __user *waiters, unsigned int flags, int nr_wake, int nr_requeue",
    ),
    "statmount": (
        "6.8",
        "fs/namespace.c",
        "const struct mnt_id_req __user *req, struct statmount __user *buf, size_t bufsize,"
        " unsigned int flags",
    ),
    "listmount": (
        "6.8",
        "fs/namespace.c",
        "const struct mnt_id_req __user *req, u64 __user *mnt_ids, size_t nr_mnt_ids,"
        " unsigned int flags",
    ),
    "lsm_get_self_attr": (
        "6.8",
        "security/lsm_syscalls.c",
        "unsigned int attr, struct lsm_ctx __user *ctx, u32 __user *size, u32 flags",
    ),
    "lsm_set_self_attr": (
        "6.8",
        "security/lsm_syscalls.c",
        "unsigned int attr, struct lsm_ctx __user *ctx, u32 size, u32 flags",
    ),
    "lsm_list_modules": (
        "6.8",
        "security/lsm_syscalls.c",
        "u64 __user *ids, u32 __user *size, u32 flags",
    ),
    "mseal": ("6.10", "mm/mseal.c", "unsigned long start, size_t len, unsigned long flags"),
    "uretprobe": ("6.11", "arch/x86/kernel/uprobes.c", "void"),
    "setxattrat": (
        "6.13",
        "fs/xattr.c",
        "int dfd, const char __user *pathname, unsigned int at_flags,"
        " const char __user *name, const struct xattr_args __user *uargs, size_t usize",
    ),
    "getxattrat": (
        "6.13",
        "fs/xattr.c",
        "int dfd, const char __user *pathname, unsigned int at_flags,"
        " const char __user *name, struct xattr_args __user *uargs, size_t usize",
    ),
    "listxattrat": (
        "6.13",
        "fs/xattr.c",
        "int dfd, const char __user *pathname, unsigned int at_flags,"
        " char __user *list, size_t size",
    ),
    "removexattrat": (
        "6.13",
        "fs/xattr.c",
        "int dfd, const char __user *pathname, unsigned int at_flags,"
        " const char __user *name",
    ),
    "open_tree_attr": (
        "6.15",
        "fs/namespace.c",
        "int dfd, const char __user *filename, unsigned flags,"
        " struct mount_attr __user *uattr, size_t usize",
    ),
    "file_getattr": (
        "6.17",
        "fs/file_attr.c",
        "int dfd, const char __user *filename, struct file_attr __user *ufattr,"
        " size_t usize, unsigned int at_flags",
    ),
    "file_setattr": (
        "6.17",
        "fs/file_attr.c",
        "int dfd, const char __user *filename, struct file_attr __user *ufattr,"
        " size_t usize, unsigned int at_flags",
    ),
}

# The ARM-private calls (__ARM_NR_*, 0x0f0000 + n) have no entry in the
# syscall table: arm_syscall() in arch/arm/kernel/traps.c reads them straight
# from the registers, so there is no prototype to name their arguments.
NO_PROTOTYPE = {
    "arm": {"breakpoint", "cacheflush", "usr26", "usr32", "set_tls", "get_tls"},
}

# How wide a scalar type is: 16, 32, 64, or "long" (the architecture's word:
# long, unsigned long and the kernel types defined from them).
#   include/linux/types.h: umode_t is unsigned short; pid_t, uid_t, gid_t,
#     qid_t, key_t, clockid_t, timer_t, mqd_t, rwf_t are int-sized
#     (__kernel_pid_t, __kernel_uid32_t, ...); loff_t is long long; size_t
#     and off_t are __kernel_size_t and __kernel_long_t, word-sized on every
#     architecture here (unsigned int on 32-bit x86 and arm).
#   old_uid_t, old_gid_t: __kernel_old_uid_t, unsigned short on x86 and arm
#     (arch/*/include/uapi/asm/posix_types*.h), the only architectures here
#     with the 16-bit uid calls (CONFIG_HAVE_UID16 for their native ABI).
#   include/uapi/linux/aio_abi.h: aio_context_t is __kernel_ulong_t.
#   include/uapi/asm-generic/signal.h, arch/*/include/asm/signal.h:
#     old_sigset_t is unsigned long.
#   include/linux/key.h: key_serial_t is int32_t.
#   enum landlock_rule_type: an enum, int-sized.
TYPE_BITS = {
    "int": 32,
    "unsigned": 32,
    "unsigned int": 32,
    "uint": 32,
    "long": "long",
    "unsigned long": "long",
    "u32": 32,
    "__u32": 32,
    "__s32": 32,
    "uint32_t": 32,
    "u64": 64,
    "__u64": 64,
    "loff_t": 64,
    "size_t": "long",
    "off_t": "long",
    "uintptr_t": "long",
    "aio_context_t": "long",
    "old_sigset_t": "long",
    "pid_t": 32,
    "uid_t": 32,
    "gid_t": 32,
    "qid_t": 32,
    "key_t": 32,
    "key_serial_t": 32,
    "clockid_t": 32,
    "timer_t": 32,
    "mqd_t": 32,
    "rwf_t": 32,
    "enum landlock_rule_type": 32,
    "umode_t": 16,
    "old_uid_t": "old_uid",
    "old_gid_t": "old_uid",
}
OLD_UID_ARCHES = {"x86", "arm"}

# Typedefs of pointers (include/linux/capability.h, signal-defs.h).
POINTER_TYPEDEFS = {"cap_user_header_t", "cap_user_data_t", "__sighandler_t"}

# Types that only ever appear behind a `*`.
POINTEE_TYPES = {
    "void",
    "char",
    "unsigned char",
    "fd_set",
    "sigset_t",
    "siginfo_t",
    "old_time32_t",
    "__kernel_old_time_t",
}

QUALIFIERS = {"const", "__user"}


def fail(msg):
    sys.exit(f"gen-syscall-tables: {msg}")


# ---------------------------------------------------------------------------
# Fetching the header


def newest_package():
    out = subprocess.run(
        ["apt-cache", "pkgnames", "linux-headers-6.1.0-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = []
    for line in out.split():
        m = PACKAGE.match(line.strip())
        if m:
            found.append((int(m.group(1)), line.strip()))
    if not found:
        fail("apt-cache lists no linux-headers-6.1.0-<N>-common (run `apt-get update` on Debian bookworm)")
    return max(found)[1]


def read_deb_member(deb):
    """include/linux/syscalls.h from the package's data archive."""
    proc = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True)
    with tempfile.TemporaryFile() as tmp:
        tmp.write(proc.stdout)
        tmp.seek(0)
        with tarfile.open(fileobj=tmp) as tar:
            members = [m for m in tar.getmembers() if MEMBER.match(m.name)]
            if len(members) != 1:
                fail(f"{deb}: expected one include/linux/syscalls.h, found {len(members)}")
            return tar.extractfile(members[0]).read().decode("utf-8")


def fetch_header(deb=None):
    """The text of syscalls.h and the package it came from."""
    if deb is not None:
        return read_deb_member(deb), os.path.basename(deb)
    package = newest_package()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["apt-get", "download", "-q", package]
        if os.geteuid() == 0:
            # apt drops to the _apt user, who cannot write a private
            # temporary directory; nothing is installed, so keep root.
            cmd[1:1] = ["-o", "APT::Sandbox::User=root"]
        if subprocess.run(cmd, cwd=tmp, stdout=subprocess.DEVNULL).returncode != 0:
            fail(f"`apt-get download {package}` failed; if the package lists are stale, run `apt-get update`")
        debs = glob.glob(os.path.join(tmp, f"{package}_*.deb"))
        if len(debs) != 1:
            fail(f"apt-get download {package} gave {debs}")
        return read_deb_member(debs[0]), os.path.basename(debs[0])


# ---------------------------------------------------------------------------
# Parsing the header


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def parse_header(text):
    """Every `asmlinkage long sys_*(...)` prototype of the header.

    Returns a list of (function, parameter text, conditions), conditions
    being the (directive, taken) pairs of the #if blocks around it, in file
    order.
    """
    text = strip_comments(text).replace("\\\n", " ")
    stack = []  # [directive, in_else]
    protos = []
    buf = ""
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("#"):
            d = re.sub(r"\s+", " ", s[1:].strip())
            word = d.split(" ", 1)[0]
            if word in ("if", "ifdef", "ifndef"):
                stack.append([d, False])
            elif word == "else":
                if not stack or stack[-1][1]:
                    fail(f"syscalls.h: unbalanced #else")
                stack[-1][1] = True
            elif word == "elif":
                fail(f"syscalls.h: #elif is not handled: {s}")
            elif word == "endif":
                if not stack:
                    fail("syscalls.h: unbalanced #endif")
                stack.pop()
            continue
        buf += line + "\n"
        while ";" in buf:
            stmt, buf = buf.split(";", 1)
            stmt = stmt.rsplit("}", 1)[-1].strip()
            if "asmlinkage" not in stmt:
                continue
            m = re.match(r"^asmlinkage\s+long\s+(sys_\w+)\s*\((.*)\)$", stmt, re.S)
            if not m:
                fail(f"syscalls.h: unrecognised declaration: {stmt}")
            conds = [(d, not in_else) for d, in_else in stack]
            protos.append((m.group(1), re.sub(r"\s+", " ", m.group(2)).strip(), conds))
    if stack:
        fail("syscalls.h: unterminated #if")
    if len(protos) < 300:
        fail(f"syscalls.h: only {len(protos)} prototypes found")
    return protos


def condition_holds(directive, taken, arch):
    kind = CONDITIONS.get(directive)
    if kind is None:
        fail(f"syscalls.h: a prototype is inside `#{directive}`, which CONDITIONS does not know")
    if kind == "always":
        if not taken:
            fail(f"syscalls.h: a prototype is in the #else of `#{directive}`")
        return True
    value = kind in ARCH_CONFIG[arch]
    if directive.startswith("ifndef"):
        value = not value
    return value if taken else not value


def split_params(text):
    if text == "void":
        return []
    if "(" in text or ")" in text:
        fail(f"syscalls.h: parameter list not understood: {text}")
    return [p.strip() for p in text.split(",")]


def classify(param, where):
    """(type, name or None, pointer) of one C parameter declaration.

    A declaration that is all type (`int`, `unsigned long`, `struct sockaddr
    __user *`) has no name; otherwise the last identifier is the name.
    """
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\*", param)
    if "".join(tokens) != re.sub(r"\s+", "", param):
        fail(f"{where}: parameter not understood: {param}")
    name = None
    if tokens[-1] != "*" and not known_type(tokens):
        name = tokens[-1]
        tokens = tokens[:-1]
    if not known_type(tokens):
        fail(f"{where}: unknown type in parameter `{param}`; add it to TYPE_BITS or POINTEE_TYPES")
    base = " ".join(t for t in tokens if t not in QUALIFIERS and t != "*")
    return base, name, "*" in tokens or base in POINTER_TYPEDEFS


def known_type(tokens):
    words = [t for t in tokens if t not in QUALIFIERS and t != "*"]
    base = " ".join(words)
    if not words:
        return False
    if "*" not in tokens:
        return base in TYPE_BITS or base in POINTER_TYPEDEFS
    if tokens[-1] != "*" and tokens[-1] not in QUALIFIERS:
        return False  # an identifier after the last `*` is a name
    return (
        base in TYPE_BITS
        or base in POINTEE_TYPES
        or re.match(r"^(struct|union) [A-Za-z_][A-Za-z0-9_]*$", base) is not None
    )


def param_list(func, text, where, names=None, renames=None):
    """[(name, base type, pointer)] of one prototype."""
    params = [classify(p, where) for p in split_params(text)]
    given = [n for _, n, _ in params]
    if names is not None:
        if any(n is not None for n in given):
            fail(f"{where}: {func} names its parameters; remove it from UNNAMED")
        if len(names) != len(params):
            fail(f"{where}: {func} has {len(params)} parameters, UNNAMED gives {len(names)}")
        given = names
    elif any(n is None for n in given):
        fail(f"{where}: {func} has unnamed parameters; add their names to UNNAMED")
    if renames:
        given = [renames.get(n, n) for n in given]
    if len(set(given)) != len(given):
        fail(f"{where}: {func}: two parameters named alike: {given}")
    return [(n, t, p) for n, (t, _, p) in zip(given, params)]


# ---------------------------------------------------------------------------
# Slots


def width(ty, pointer, arch, where):
    word = 32 if arch in BITS32 else 64
    if pointer:
        return word
    bits = TYPE_BITS[ty]
    if bits == "long":
        return word
    if bits == "old_uid":
        if arch not in OLD_UID_ARCHES:
            fail(f"{where}: {ty} on {arch}: its width is only recorded for {sorted(OLD_UID_ARCHES)}")
        return 16
    return bits


def slots(params, arch, where):
    """[(name, arg or None, bits, pointer)]: each parameter's seccomp_data slot.

    On a 64-bit architecture parameter i is args[i]. On 32-bit x86 and arm a
    64-bit-typed parameter takes two registers (arm EABI also starts the pair
    at an even register), so it and every parameter after it get no slot:
    a condition on them would need to know the split and the padding, which
    is not guessed here.
    """
    out = []
    lost = False
    for name, ty, pointer in params:
        bits = width(ty, pointer, arch, where)
        if bits == 64 and arch in BITS32:
            lost = True
        out.append((name, None if lost else len(out), bits, pointer))
    if len(out) > 6:
        fail(f"{where}: more than six parameters")
    return out


# ---------------------------------------------------------------------------
# Per architecture


def entry_points(arch, table):
    out = {}
    for line in ENTRY_POINTS[arch].strip().splitlines():
        parts = line.split()
        if len(parts) != 2:
            fail(f"syscall_entries.py: {arch}: bad line: {line!r}")
        name, entry = parts
        if name in out:
            fail(f"syscall_entries.py: {arch}: {name} listed twice")
        if name not in table:
            fail(f"syscall_entries.py: {arch}: {name} is not a syscall of {arch}")
        out[name] = None if entry == "-" else entry
    return out


def header_functions(protos, arch):
    """{function: (parameter text, names or None)} for one architecture."""
    out = {}
    for func, text, conds in protos:
        if not all(condition_holds(d, taken, arch) for d, taken in conds):
            continue
        if func in out:
            fail(f"syscalls.h: {func} declared twice for {arch}")
        names = None
        if func == "sys_clone":
            chosen = [c for c in ARCH_CONFIG[arch] if c.startswith("CONFIG_CLONE_BACKWARDS")]
            if len(chosen) > 1:
                fail(f"{arch}: several CLONE_BACKWARDS configurations")
            names = CLONE_NAMES[chosen[0] if chosen else None]
        elif func in UNNAMED:
            names = UNNAMED[func][1]
        out[func] = (text, names)
    return out


def check_tables(protos):
    """UNNAMED lists exactly the prototypes without parameter names, and
    every name DEFINITION_NAMES renames is in the header."""
    unnamed = set()
    declared = {}
    for func, text, _ in protos:
        names = {classify(p, "syscalls.h")[1] for p in split_params(text)}
        declared.setdefault(func, set()).update(names)
        if func != "sys_clone" and None in names:
            unnamed.add(func)
    if unnamed != set(UNNAMED):
        fail(
            "UNNAMED does not match syscalls.h: missing "
            f"{sorted(unnamed - set(UNNAMED))}, extra {sorted(set(UNNAMED) - unnamed)}"
        )
    for func, (_, renames) in DEFINITION_NAMES.items():
        for name in renames:
            if name not in declared.get(func, set()):
                fail(f"DEFINITION_NAMES: syscalls.h has no parameter {name} of {func}")
    for func in NOT_DEFINED:
        if func not in declared:
            fail(f"NOT_DEFINED: syscalls.h does not declare {func}")


def signatures(protos, arch, table):
    """({syscall: [(name, arg, bits, pointer)]}, {syscall: why it has none},
    {syscalls whose signature is newer than the header}).

    Why a syscall has none is the name of a `NoSignature` variant of
    tables/mod.rs: `NotImplemented` (nothing behind the number), `Removed`
    (declared, defined nowhere), `ArmPrivate` (no prototype at all).
    """
    funcs = header_functions(protos, arch)
    entries = entry_points(arch, table)
    wrappers = WRAPPERS.get(arch, {})
    arch_protos = ARCH_PROTOTYPES.get(arch, {})
    for func in arch_protos:
        if func in funcs:
            fail(f"ARCH_PROTOTYPES: {arch}: {func} is declared in syscalls.h")
    used = set()
    sigs = {}
    without = {}
    newer = set()
    for name in sorted(table):
        if name in NEWER_THAN_SOURCE:
            func = f"sys_{name}"
            if name in entries or func in funcs:
                fail(f"{name} is listed as newer than Linux 6.1 but the source knows it")
            _, file, text = NEWER_THAN_SOURCE[name]
            where = f"{arch} {name} ({func}, {file})"
            sigs[name] = slots(param_list(func, text, where), arch, where)
            newer.add(name)
            continue
        if name in NO_PROTOTYPE.get(arch, set()):
            without[name] = "ArmPrivate"
            continue
        entry = entries.get(name, f"sys_{name}")
        if entry is None:
            without[name] = "NotImplemented"
            continue
        func = wrappers.get(entry, entry)
        used.add(entry)
        where = f"{arch} {name} ({func})"
        if func in NOT_DEFINED:
            without[name] = "Removed"
            continue
        if func in arch_protos:
            used.add(func)
            text, names = arch_protos[func][1], None
        elif func in funcs:
            text, names = funcs[func]
        else:
            fail(f"{where}: no prototype; list the entry point in syscall_entries.py or ARCH_PROTOTYPES")
        renames = DEFINITION_NAMES.get(func, (None, {}))[1]
        params = param_list(func, text, where, names, renames)
        sigs[name] = slots(params, arch, where)
    for entry in set(wrappers) - used:
        fail(f"WRAPPERS: {arch}: {entry} is not used")
    for func in set(arch_protos) - used:
        fail(f"ARCH_PROTOTYPES: {arch}: {func} is not used")
    return sigs, without, newer


# ---------------------------------------------------------------------------
# Output


def render_slot(arg, bits, pointer):
    if arg is None:
        return f'ParamSlot::unaddressable({bits}, {"true" if pointer else "false"})'
    kind = "pointer" if pointer else "value"
    return f"ParamSlot::{kind}({arg}, {bits})"


def render(arch, sigs, without, command):
    header, later = SOURCE.split("; ")
    out = [
        f"// @generated by `{command}`. Do not edit.",
        "//",
        f"// Source: {header[:header.index(', ') + 1]}",
        f"// {header[header.index(', ') + 2:]}; for {later[:later.index(', ')]},",
        f"// {later[later.index(', ') + 2:]}; with the entry points and names listed in",
        "// tools/gen-syscall-tables/{syscall_entries,signatures}.py.",
        "",
        "use crate::tables::{NoSignature, ParamRange, ParamSlot, Signatures};",
        "use seccomp_policy_core::sorted::{Row, Table};",
        "",
        f"/// The parameters of every system call of `{arch}` whose prototype is known,",
        "/// sorted by name (byte order).",
        "pub static SIGNATURES: Signatures = Signatures::new(NAMES, &ROWS, &PARAMS);",
        "",
        f"/// The system calls of `{arch}` without a signature, and why, sorted by name",
        "/// (byte order).",
        "pub static WITHOUT_SIGNATURE: Table<NoSignature> = Table::new(NAMES, &WITHOUT);",
        "",
    ]
    text = spans.Text()
    rows, params = [], []
    for name in sorted(sigs, key=lambda n: n.encode()):
        rows.append(spans.row(text, name, f"ParamRange::new({len(params)}, {len(sigs[name])})"))
        for pname, arg, bits, pointer in sigs[name]:
            params.append((name, pname, render_slot(arg, bits, pointer)))
    if len(params) > 0xFFFF:
        raise SystemExit(f"{arch}: {len(params)} parameters; a range starts at a u16")
    params = [spans.row(text, pname, slot, f"{name}: {pname}") for name, pname, slot in params]
    without_rows = [
        spans.row(text, name, f"NoSignature::{without[name]}")
        for name in sorted(without, key=lambda n: n.encode())
    ]
    out += text.render(
        "NAMES", ["The names of the system calls and of their parameters, one after the other."]
    )
    out.append("")
    out.append("/// Each system call's parameters: a range of [`PARAMS`].")
    out.append(f"static ROWS: [Row<ParamRange>; {len(rows)}] = [")
    out += rows
    out.append("];")
    out.append("")
    out.append("/// Every parameter, in the order of [`ROWS`] and of each signature.")
    out.append(f"static PARAMS: [Row<ParamSlot>; {len(params)}] = [")
    out += params
    out.append("];")
    out.append("")
    if not without_rows:
        out.append("static WITHOUT: [Row<NoSignature>; 0] = [];")
    else:
        out.append(f"static WITHOUT: [Row<NoSignature>; {len(without_rows)}] = [")
        out += without_rows
        out.append("];")
    return "\n".join(out) + "\n"


def generate(tables, out_dir, write, command, deb=None):
    """Writes one file per architecture.

    tables: [(arch, {syscall: number})]. Returns ({arch: (count, newer,
    without, status)}, package file name).
    """
    text, package = fetch_header(deb)
    protos = parse_header(text)
    check_tables(protos)
    os.makedirs(out_dir, exist_ok=True)
    result = {}
    for arch, table in tables:
        sigs, without, newer = signatures(protos, arch, table)
        status = write(os.path.join(out_dir, f"{arch}.rs"), render(arch, sigs, without, command))
        result[arch] = (len(sigs), len(newer), without, status)
    return result, package
