# compat32: a 32-bit program whose system calls go through the kernel's 32-bit vDSO entry
# (__kernel_vsyscall, from AT_SYSINFO), which must use `syscall` (AMD's CPUs) or `sysenter`
# (Intel's) from compatibility mode: under Xen PV these enter the kernel through its
# syscall32 or sysenter callback.
# Exit status: 0 the write went through, 1 it did not, 2 the vDSO uses neither instruction
# (nothing would be tested), 3 no AT_SYSINFO.
	.code32
	.globl _start
	.text
_start:
	movl (%esp), %ecx		# argc; argv[argc] is NULL, envp follows
	leal 8(%esp,%ecx,4), %esi
1:	cmpl $0, (%esi)			# past envp's NULL: the auxiliary vector
	leal 4(%esi), %esi
	jne 1b
2:	movl (%esi), %eax
	testl %eax, %eax
	jz no_sysinfo
	cmpl $32, %eax			# AT_SYSINFO
	je 3f
	addl $8, %esi
	jmp 2b
3:	movl 4(%esi), %edi
	xorl %ecx, %ecx
4:	cmpw $0x050f, (%edi,%ecx)	# `syscall` among its first instructions
	je 5f
	cmpw $0x340f, (%edi,%ecx)	# or `sysenter`
	je 5f
	incl %ecx
	cmpl $16, %ecx
	jb 4b
	movl $2, %ebx
	jmp die
5:	movl $4, %eax			# write(1, msg, len)
	movl $1, %ebx
	movl $msg, %ecx
	movl $len, %edx
	call *%edi
	cmpl $len, %eax
	jne 6f
	movl $1, %eax			# exit(0)
	xorl %ebx, %ebx
	call *%edi
6:	movl $1, %ebx
	jmp die
no_sysinfo:
	movl $3, %ebx
die:	movl $1, %eax			# exit(%ebx) by int $0x80
	int $0x80
	.data
msg:	.ascii "compat32: a system call from 32-bit code works\n"
	len = . - msg
	.section .note.GNU-stack, "", @progbits
