package dev.palisade.acceptance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium driven through the Debian chromedriver (nothing is downloaded), with
 * the few steps every browser test takes: log in, open a page, fill a form, accept a confirmation,
 * and keep a screenshot of the page under {@code target/screenshots/}.
 */
final class Browser implements AutoCloseable {

    static final Path CHROMIUM = Path.of(System.getProperty("palisade.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("palisade.chromedriver", "/usr/bin/chromedriver"));
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    final ChromeDriver driver;
    final WebDriverWait wait;
    private final String base;
    private final Path profile;

    private Browser(ChromeDriver driver, String base, Path profile) {
        this.driver = driver;
        this.base = base;
        this.profile = profile;
        this.wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    }

    /** Skips the calling test, saying why, when this machine has no Chromium or chromedriver. */
    static void assumeAvailable() {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "browser tests need Chromium at " + CHROMIUM + " and chromedriver at " + CHROMEDRIVER
                        + " (Debian packages chromium and chromium-driver; ops/install-test-packages.sh installs them)");
    }

    static Browser open(String base) throws IOException {
        Path profile = Files.createTempDirectory("palisade-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--window-size=1280,1000", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
        return new Browser(driver, base, profile);
    }

    void get(String path) {
        driver.get(base + path);
    }

    String path() {
        return driver.getCurrentUrl().substring(base.length());
    }

    void login(String username, String password) {
        driver.manage().deleteAllCookies();
        get("/login");
        type(By.id("username"), username);
        type(By.id("password"), password);
        driver.findElement(By.cssSelector("main button[type=submit]")).click();
        wait.until(d -> !d.getCurrentUrl().contains("/login"));
    }

    void logout() {
        driver.findElement(By.cssSelector(".whoami button")).click();
        wait.until(ExpectedConditions.urlContains("/login"));
    }

    void type(By field, String text) {
        WebElement input = driver.findElement(field);
        input.clear();
        input.sendKeys(text);
    }

    /** Submits the form the element belongs to by clicking its submit button, and waits for the next page. */
    void submit(By button) {
        WebElement old = driver.findElement(By.tagName("html"));
        driver.findElement(button).click();
        wait.until(replaced(old));
    }

    /** Clicks a button guarded by a confirmation, accepts the question and waits for the next page. */
    String confirm(By button) {
        WebElement old = driver.findElement(By.tagName("html"));
        driver.findElement(button).click();
        Alert alert = wait.until(ExpectedConditions.alertIsPresent());
        String question = alert.getText();
        alert.accept();
        wait.until(replaced(old));
        return question;
    }

    /**
     * The page {@code old} (its {@code html} element) belonged to has been replaced. Chromium
     * sometimes answers for a node of the page being left that it "does not belong to the
     * document" rather than that it is stale: the same fact, which {@code stalenessOf} takes for
     * an error.
     */
    private static ExpectedCondition<Boolean> replaced(WebElement old) {
        return driver -> {
            try {
                old.isEnabled();
                return false;
            } catch (StaleElementReferenceException e) {
                return true;
            } catch (WebDriverException e) {
                if (String.valueOf(e.getMessage()).contains("does not belong to the document")) {
                    return true;
                }
                throw e;
            }
        };
    }

    /** For what takes a sandboxed program to finish on a busy machine. */
    WebDriverWait longWait() {
        return new WebDriverWait(driver, Duration.ofSeconds(120));
    }

    void assertNoAlert() {
        try {
            Alert alert = driver.switchTo().alert();
            throw new AssertionError("a script ran and opened an alert: " + alert.getText());
        } catch (org.openqa.selenium.NoAlertPresentException expected) {
            // nothing ran
        }
    }

    String text(By by) {
        return driver.findElement(by).getText();
    }

    List<WebElement> all(By by) {
        return driver.findElements(by);
    }

    String flash() {
        return text(By.cssSelector(".flash"));
    }

    /** Keeps the whole page as target/screenshots/{name}.png. */
    void screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Dimension size = driver.manage().window().getSize();
            long height = ((Number) driver.executeScript(
                    "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")).longValue();
            driver.manage().window().setSize(new Dimension(size.getWidth(), (int) Math.min(Math.max(height + 140, 600), 4000)));
            byte[] png = driver.getScreenshotAs(OutputType.BYTES);
            driver.manage().window().setSize(size);
            Files.write(SCREENSHOTS.resolve(name + ".png"), png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void narrow(boolean narrow) {
        driver.manage().window().setSize(narrow ? new Dimension(390, 844) : new Dimension(1280, 1000));
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
