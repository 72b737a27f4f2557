package dev.palisade.web.platform;

import dev.palisade.web.support.FieldRefusal;

/**
 * What the console's images page asks of the platform: importing an OCI image archive with the
 * same checks, unpacking and audit as the REST API. The platform application implements it.
 */
public interface ImageImports {

    /**
     * Imports the archive (a docker save tar or an OCI image layout tar, optionally gzipped) as {@code name}.
     *
     * @throws FieldRefusal a bad or taken name, a bad description, or an archive the importer refused
     */
    void importOci(String actor, String name, String description, byte[] archive);
}
