package dev.palisade.platform.workload;

import dev.palisade.platform.dispatch.WorkloadStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Follows a log live over server-sent events: what is stored so far, then every new chunk as
 * the node running the workload writes it to the database, so it works from any instance.
 * Each line is one {@code log} event; a last {@code end} event carries the final state.
 */
@Component
class LogStreams implements DisposableBean {

    private static final long POLL_MS = 150;

    private final WorkloadStore store;
    private final ExecutorService followers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "palisade-log-follow");
        t.setDaemon(true);
        return t;
    });

    LogStreams(WorkloadStore store) {
        this.store = store;
    }

    SseEmitter follow(UUID id) {
        SseEmitter emitter = new SseEmitter(0L);
        followers.execute(() -> {
            int seq = 0;
            StringBuilder partial = new StringBuilder();
            try {
                while (true) {
                    // read the state first: chunks written before it ended are then all visible below
                    String state = store.state(id).orElse("FAILED");
                    boolean over = !state.equals("QUEUED") && !state.equals("RUNNING");
                    List<WorkloadStore.LogChunk> chunks = store.logAfter(id, seq);
                    for (WorkloadStore.LogChunk c : chunks) {
                        seq = c.seq();
                        partial.append(new String(c.data(), StandardCharsets.UTF_8));
                        int nl;
                        while ((nl = partial.indexOf("\n")) >= 0) {
                            emitter.send(SseEmitter.event().name("log").data(partial.substring(0, nl), MediaType.TEXT_PLAIN));
                            partial.delete(0, nl + 1);
                        }
                    }
                    if (over) {
                        if (partial.length() > 0) {
                            emitter.send(SseEmitter.event().name("log").data(partial.toString(), MediaType.TEXT_PLAIN));
                        }
                        emitter.send(SseEmitter.event().name("end").data(state, MediaType.TEXT_PLAIN));
                        emitter.complete();
                        return;
                    }
                    Thread.sleep(POLL_MS);
                }
            } catch (IOException | IllegalStateException gone) {
                emitter.completeWithError(gone);
            } catch (InterruptedException e) {
                emitter.complete();
            }
        });
        return emitter;
    }

    @Override
    public void destroy() {
        followers.shutdownNow();
    }
}
