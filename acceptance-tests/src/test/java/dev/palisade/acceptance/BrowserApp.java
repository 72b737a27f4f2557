package dev.palisade.acceptance;

import java.nio.file.Path;
import java.util.Map;

/**
 * A platform started for a browser test with a headless Chromium on its console, closed together:
 * what the browser tests that share one platform across their methods start in {@code @BeforeAll}.
 */
final class BrowserApp implements AutoCloseable {

    final PalisadeProcess app;
    final Browser browser;

    private BrowserApp(PalisadeProcess app, Browser browser) {
        this.app = app;
        this.browser = browser;
    }

    /** Skips the test without Chromium; otherwise starts the platform with {@code env} and opens its console. */
    static BrowserApp start(Path dataDir, Map<String, String> env) throws Exception {
        Browser.assumeAvailable();
        PalisadeProcess app = PalisadeProcess.start(dataDir, env);
        try {
            return new BrowserApp(app, Browser.open(app.baseUrl()));
        } catch (Exception e) {
            app.close();
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            browser.close();
        } finally {
            app.close();
        }
    }
}
