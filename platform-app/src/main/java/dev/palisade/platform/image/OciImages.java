package dev.palisade.platform.image;

import java.nio.file.Path;

/** Unpacking OCI image archives (docker save or OCI layout). */
final class OciImages {

    private OciImages() {
    }

    static void unpack(byte[] archive, Path rootfs) {
        throw new IllegalStateException("OCI image import is not available yet");
    }
}
