package dev.palisade.sandbox.abi;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ErrnoTest {

    @Test
    void valuesMatchLinux() {
        assertThat(Errno.EPERM.value()).isEqualTo(1);
        assertThat(Errno.ENOENT.value()).isEqualTo(2);
        assertThat(Errno.EAGAIN.value()).isEqualTo(11);
        assertThat(Errno.ENOSYS.value()).isEqualTo(38);
        assertThat(Errno.EOPNOTSUPP.value()).isEqualTo(95);
        assertThat(Errno.EHWPOISON.value()).isEqualTo(133);
        assertThat(Errno.ENOSYS.negated()).isEqualTo(-38L);
        assertThat(Errno.of(13)).contains(Errno.EACCES);
        assertThat(Errno.nameOf(9999)).isEqualTo("E9999");
        assertThat(Errno.values().length).isGreaterThan(120);
        // kernel-internal, as include/linux/errno.h: never returned to a program
        assertThat(Errno.ERESTARTSYS.value()).isEqualTo(512);
        assertThat(Errno.ERESTARTNOHAND.value()).isEqualTo(514);
    }
}
