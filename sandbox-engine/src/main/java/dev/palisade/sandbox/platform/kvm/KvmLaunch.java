package dev.palisade.sandbox.platform.kvm;

import dev.palisade.sandbox.SandboxSpec;
import dev.palisade.sandbox.sentry.vfs.VirtualFs;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything decided before the vCPU thread starts: filesystem, program (and its interpreter
 * when it is dynamically linked, else null), arguments.
 */
record KvmLaunch(SandboxSpec spec, VirtualFs fs, String workdir, String execPath, ElfImage elf, ElfImage interp, List<String> argv,
                 List<String> envp, Path tmpDir, Path ownWorkspace,
                 java.util.function.Consumer<String> trace) {
}
