package dev.palisade.platform.engine;

import dev.palisade.sandbox.FileTrees;
import dev.palisade.platform.config.PalisadeProperties;
import dev.palisade.platform.workload.WorkloadProperties;
import dev.palisade.sandbox.BoundedWorkspace;
import dev.palisade.sandbox.Limits;
import dev.palisade.platform.workload.Archives;
import jakarta.annotation.PreDestroy;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The workspaces of the runs on this node, under {@code <data-dir>/work/<id>}: each is a
 * filesystem of its own bounded in bytes and files ({@link BoundedWorkspace}), mounted before the
 * input is unpacked into it and removed after the artifacts are collected, so a program cannot
 * fill the host's disk. The bound is the tenant's storage quota, at most
 * {@code palisade.workloads.max-workspace-size}. Workspaces that a killed process of this node left
 * mounted are removed at start.
 */
@Component
public class Workspaces {

    private static final Logger log = LoggerFactory.getLogger(Workspaces.class);

    private final long maxBytes;
    private final Map<Path, BoundedWorkspace> open = new ConcurrentHashMap<>();

    Workspaces(WorkloadProperties properties, PalisadeProperties palisade) {
        this.maxBytes = properties.maxWorkspaceSize().toBytes();
        Path root = palisade.dataDir().toAbsolutePath().normalize().resolve("work");
        int stale = BoundedWorkspace.removeStale(root);
        if (stale > 0) {
            log.info("Removed {} workspace(s) that a stopped process left mounted under {}", stale, root);
        }
    }

    /**
     * Makes a fresh, empty, bounded workspace at {@code ws} (anything left there is removed first)
     * and returns its bound in bytes, to be given to the sandbox as {@link Limits#diskBytes()}.
     * {@code storageQuota} is the tenant's storage quota as the claim read it (null: none set).
     */
    public long open(Path ws, Long storageQuota) {
        remove(ws);
        long quota = storageQuota != null ? storageQuota : maxBytes;
        long bytes = Math.max(1L << 20, Math.min(quota, maxBytes)); // a workspace too small to hold a file helps nobody
        BoundedWorkspace w = BoundedWorkspace.create(ws, Limits.DEFAULT.withDiskBytes(bytes));
        if (!w.bounded()) {
            log.warn("Workspace {} has {}", ws, w.bound());
        }
        open.put(ws, w);
        return bytes;
    }

    /**
     * At shutdown: whatever a run did not remove itself (a run still being handed back when the
     * dispatcher's grace ran out) is unmounted and removed, so a stopped process leaves no mount.
     */
    @PreDestroy
    void removeAll() {
        int left = open.size();
        open.keySet().forEach(this::remove);
        if (left > 0) {
            log.info("Removed {} workspace(s) still mounted at shutdown", left);
        }
    }

    /** Unmounts and removes the workspace at {@code ws} (whatever is there). */
    public void remove(Path ws) {
        BoundedWorkspace w = open.remove(ws);
        if (w != null) {
            w.close();
        } else {
            FileTrees.delete(ws);
        }
    }
}
