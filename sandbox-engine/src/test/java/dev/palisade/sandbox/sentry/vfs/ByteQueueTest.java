package dev.palisade.sandbox.sentry.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteQueueTest {

    @Test
    void bytes_come_out_in_order_while_the_buffer_grows_around_a_wrapped_head() throws Exception {
        ByteQueue q = new ByteQueue(1 << 20);
        byte[] data = new byte[900_000];
        new Random(7).nextBytes(data);
        ByteBuffer in = ByteBuffer.wrap(data);
        ByteBuffer out = ByteBuffer.allocate(data.length);
        // write a little, read part of it (the head moves), then write more than the initial buffer
        in.limit(50_000);
        q.write(in, false, Interruption.NEVER);
        q.read(out.limit(30_000), false, Interruption.NEVER);
        in.limit(data.length);
        assertThat(q.write(in, false, Interruption.NEVER)).isEqualTo(850_000);
        assertThat(q.available()).isEqualTo(870_000);
        out.limit(data.length);
        while (q.read(out, false, Interruption.NEVER) > 0) {
            // drain
        }
        assertThat(out.array()).isEqualTo(data);
    }

    @Test
    void a_full_queue_refuses_more_than_its_capacity() throws Exception {
        ByteQueue q = new ByteQueue(200_000);
        assertThat(q.write(ByteBuffer.allocate(300_000), false, Interruption.NEVER)).isEqualTo(200_000);
        assertThat(q.full()).isTrue();
        assertThat(q.write(ByteBuffer.allocate(1), false, Interruption.NEVER)).isZero();
    }
}
