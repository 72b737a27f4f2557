package dev.palisade.web.support;

/**
 * Which pages of the console and portal have the platform services behind them in this build;
 * the navigation shows only those.
 */
public record ConsoleFeatures(boolean images, boolean nodes, boolean security, boolean submit) {
}
