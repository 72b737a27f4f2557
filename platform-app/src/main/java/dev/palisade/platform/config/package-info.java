/**
 * The platform's own settings under {@code palisade.*} that no feature owns
 * ({@link PalisadeProperties}): the data directory where it keeps its state on this machine, and
 * the first admin's password.
 */
package dev.palisade.platform.config;
