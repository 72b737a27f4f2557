package dev.palisade.sandbox.nativeinterop;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Ioctl numbers computed from (dir, type, nr, size) against the values of {@code <linux/kvm.h>}. */
class KvmIoctlsTest {

    @Test
    void system_and_vm_ioctls_match_the_kernel_headers() {
        assertThat(KvmIoctls.KVM_GET_API_VERSION).isEqualTo(0xae00L);
        assertThat(KvmIoctls.KVM_CREATE_VM).isEqualTo(0xae01L);
        assertThat(KvmIoctls.KVM_CHECK_EXTENSION).isEqualTo(0xae03L);
        assertThat(KvmIoctls.KVM_GET_VCPU_MMAP_SIZE).isEqualTo(0xae04L);
        assertThat(KvmIoctls.KVM_GET_SUPPORTED_CPUID).isEqualTo(0xc008ae05L);
        assertThat(KvmIoctls.KVM_CREATE_VCPU).isEqualTo(0xae41L);
        assertThat(KvmIoctls.KVM_SET_USER_MEMORY_REGION).isEqualTo(0x4020ae46L);
    }

    @Test
    void vcpu_ioctls_match_the_kernel_headers() {
        assertThat(KvmIoctls.KVM_RUN).isEqualTo(0xae80L);
        assertThat(KvmIoctls.KVM_GET_REGS).isEqualTo(0x8090ae81L);
        assertThat(KvmIoctls.KVM_SET_REGS).isEqualTo(0x4090ae82L);
        assertThat(KvmIoctls.KVM_GET_SREGS).isEqualTo(0x8138ae83L);
        assertThat(KvmIoctls.KVM_SET_SREGS).isEqualTo(0x4138ae84L);
        assertThat(KvmIoctls.KVM_GET_MSRS).isEqualTo(0xc008ae88L);
        assertThat(KvmIoctls.KVM_SET_MSRS).isEqualTo(0x4008ae89L);
        assertThat(KvmIoctls.KVM_SET_CPUID2).isEqualTo(0x4008ae90L);
        assertThat(KvmIoctls.KVM_SET_XCRS).isEqualTo(0x4188aea7L);
    }

    @Test
    void kvm_run_layout_matches_the_kernel_headers() {
        assertThat(KvmIoctls.RUN_EXIT_REASON).isEqualTo(8);
        assertThat(KvmIoctls.RUN_KVM_VALID_REGS).isEqualTo(288);
        assertThat(KvmIoctls.RUN_KVM_DIRTY_REGS).isEqualTo(296);
        assertThat(KvmIoctls.RUN_SYNC_REGS).isEqualTo(304);
        assertThat(KvmIoctls.RUN_SYNC_SREGS).isEqualTo(448);
        assertThat(KvmIoctls.SREG_CR2).isEqualTo(232);
        assertThat(KvmIoctls.SREG_EFER).isEqualTo(264);
    }
}
