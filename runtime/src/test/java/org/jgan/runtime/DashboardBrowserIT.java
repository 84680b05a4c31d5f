package org.jgan.runtime;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedCondition;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (headless Chromium from Debian, driven by Selenium), served by the exported
 * runtime through {@code runtime/jgan run} while a short run trains: the runs page shows the iteration advance
 * without a reload; on the run's page the loss charts and a sample grid appear, an invalid learning rate is refused
 * with the engine's one-line message, a valid one shows up as a history.csv row, the Pause button pauses the run, an
 * evaluation is made from the checkpoint the pause saved, and a sample grid of this point-cloud run is refused in
 * one line.
 * Screenshots of each page go to target/screenshots (docs/images holds copies).
 * <p>
 * Installs chromium and chromium-driver with apt-get when they are missing (as root, as the sweep test installs
 * Slurm); where they cannot be had the test is skipped, except under {@code CI=true}, where that fails.
 */
class DashboardBrowserIT {

    private static final Path CHROMIUM = Path.of("/usr/lib/chromium/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(90);

    private Process runtime;
    private Path work;
    private Path console;
    private ChromeDriver driver;

    @BeforeEach
    void start() throws Exception {
        ensureChromium();
        work = Path.of("target/dashboard-it").toAbsolutePath();
        deleteTree(work);
        Files.createDirectories(work);
        console = work.resolve("runtime.out");
        Path script = Path.of("jgan").toAbsolutePath();
        ProcessBuilder b = new ProcessBuilder("bash", script.toString(), "run", "default", "name=browser",
                "iterations=1000000", "sampleInterval=100", "progressInterval=0.5", "checkpointInterval=0")
                .directory(work.toFile()).redirectErrorStream(true).redirectOutput(console.toFile());
        b.environment().put("JGAN_HTTP_PORT", "18865");
        b.environment().put("OMP_NUM_THREADS", "1");
        runtime = b.start();

        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--disable-gpu");
        driver = new ChromeDriver(service, options);
    }

    @AfterEach
    void stop() throws Exception {
        if (driver != null) {
            driver.quit();
        }
        if (runtime != null) {
            runtime.destroy(); // SIGTERM: the run stops at its next iteration boundary and the JVM exits
            if (!runtime.waitFor(60, TimeUnit.SECONDS)) {
                runtime.destroyForcibly();
            }
        }
    }

    @Test
    void watchAndSteerARunThatTrains() throws Exception {
        String url = dashboardUrl();
        assertTrue(url.startsWith("http://127.0.0.1:"), "bound to this machine only: " + url);

        // the runs page: the run's iteration advances without a reload
        driver.get(url);
        By iteration = By.cssSelector("tr[data-run='browser'] td.iteration");
        String first = waitFor("the run's row", d -> text(iteration));
        String later = waitFor("the iteration to advance without a reload",
                d -> { String t = text(iteration); return t != null && !t.equals(first) ? t : null; });
        assertNotEquals(first, later);
        screenshot("dashboard-runs");

        // the run's page: charts and samples (a taller window, so that the screenshot shows the samples too)
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1500));
        // the row is redrawn at every progress event: clicked again when it went stale under the click
        waitFor("a click on the run's link", d -> {
            d.findElement(By.linkText("browser")).click();
            return true;
        });
        waitFor("the loss charts", d -> d.findElements(By.cssSelector(".chart .uplot canvas")).size() >= 2 ? true : null);
        waitFor("a sample grid", d -> {
            WebElement img = d.findElement(By.id("sample"));
            Object w = driver.executeScript("return arguments[0].naturalWidth", img);
            return w instanceof Number n && n.intValue() > 0 ? true : null;
        });

        // an invalid value is refused with the engine's message, and changes nothing
        driver.findElement(By.id("settings")).sendKeys("lrD=-1");
        driver.findElement(By.id("apply")).click();
        String refusal = waitFor("the refusal", d -> {
            WebElement m = d.findElement(By.id("message"));
            return m.getAttribute("class").contains("error") && !m.getText().isEmpty() ? m.getText() : null;
        });
        assertTrue(refusal.contains("option 'lrD' has value '-1'"), refusal);

        // a valid one is taken at the next iteration and recorded in history.csv, which the page shows
        WebElement settings = driver.findElement(By.id("settings"));
        settings.clear();
        settings.sendKeys("lrD=3e-4");
        driver.findElement(By.id("apply")).click();
        waitFor("the lrD row of history.csv", d -> d.findElement(By.id("history")).getText().contains(",lrD,") ? true : null);

        // the Pause button pauses the run
        driver.findElement(By.id("pause")).click();
        waitFor("the PAUSED state", d -> d.findElement(By.id("status")).getText().contains("PAUSED") ? true : null);
        // from the checkpoint the pause saved: an evaluation; a sample grid is refused in one line (points, not images)
        driver.findElement(By.id("sample-button")).click();
        String notImages = waitFor("the sample grid's refusal", d -> {
            WebElement m = d.findElement(By.id("tool-message"));
            return m.getAttribute("class").contains("error") && !m.getText().isEmpty() ? m.getText() : null;
        });
        assertTrue(notImages.contains("generates points of shape [2], not images"), notImages);
        // the style-mixing control reaches the engine, whose refusal of its options shows next to the buttons
        driver.findElement(By.id("mix-options")).sendKeys("rows=a columns=1");
        driver.findElement(By.id("mix-button")).click();
        String badRows = waitFor("the style mixing refusal", d -> {
            String t = d.findElement(By.id("tool-message")).getText();
            return t.contains("rows is 'a'") ? t : null;
        });
        assertTrue(badRows.startsWith("mix on run 'browser': rows is 'a'; expected comma-separated sample indices"),
                badRows);
        driver.findElement(By.id("evaluate-button")).click();
        String evaluation = waitFor("the evaluation",
                d -> d.findElement(By.id("evaluate-result")).getText().isEmpty() ? null
                        : d.findElement(By.id("evaluate-result")).getText());
        assertTrue(evaluation.contains("mixture"), evaluation);
        // the evaluation is listed among the run folder's earlier results; choosing it shows its text again
        waitFor("the evaluation in the list of earlier ones", d -> d.findElements(
                By.cssSelector("#earlier-evaluations option[value^='eval/evaluation-']")).isEmpty() ? null : true);
        driver.executeScript("document.getElementById('evaluate-result').textContent = ''");
        new Select(driver.findElement(By.id("earlier-evaluations"))).selectByIndex(1);
        String earlier = waitFor("the earlier evaluation's text", d -> {
            String t = d.findElement(By.id("evaluate-result")).getText();
            return t.isEmpty() ? null : t;
        });
        assertTrue(earlier.contains("mixture"), earlier);
        screenshot("dashboard-run");
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
        assertTrue(Files.readString(work.resolve("runs/browser/history.csv")).contains(",lrD,"));

        // starting a run: the settings are validated as gan:validate does
        driver.get(url + "#/start");
        driver.findElement(By.id("preset")).sendKeys("default");
        driver.findElement(By.id("start-settings")).sendKeys("iterations=abc");
        driver.findElement(By.id("validate")).click();
        String invalid = waitFor("the validation's refusal", d -> {
            WebElement out = d.findElement(By.id("start-result"));
            return out.getAttribute("class").contains("error") ? out.getText() : null;
        });
        assertTrue(invalid.contains("iterations"), invalid);
        WebElement text = driver.findElement(By.id("start-settings"));
        text.clear();
        text.sendKeys("iterations=500\nlrG=2e-4");
        driver.findElement(By.id("validate")).click();
        waitFor("the resolved configuration",
                d -> d.findElement(By.id("start-result")).getText().contains("lrG = 2") ? true : null);
        screenshot("dashboard-start");

        // the component catalog
        driver.get(url + "#/catalog");
        waitFor("the catalog", d -> d.findElements(By.cssSelector("#catalog tbody tr")).size() > 10 ? true : null);
        assertTrue(driver.findElement(By.id("catalog")).getText().contains("nonsaturating"));
        screenshot("dashboard-catalog");
    }

    /** The address the runtime printed ("dashboard: URL"), once it has started training. */
    private String dashboardUrl() throws Exception {
        Pattern p = Pattern.compile("dashboard: (http://\\S+)");
        long deadline = System.nanoTime() + WAIT.toNanos();
        String seen = "";
        while (System.nanoTime() < deadline) {
            seen = Files.exists(console) ? Files.readString(console) : "";
            Matcher m = p.matcher(seen);
            if (m.find() && seen.contains("RUNNING   it")) {
                return m.group(1);
            }
            if (!runtime.isAlive()) {
                fail("the runtime exited with " + runtime.exitValue() + " before serving the dashboard:\n" + seen);
            }
            Thread.sleep(250);
        }
        fail("no dashboard address and training within " + WAIT.toSeconds() + " s; console:\n" + seen);
        return null;
    }

    private String text(By by) {
        List<WebElement> found = driver.findElements(by);
        return found.isEmpty() ? null : found.get(0).getText();
    }

    private <T> T waitFor(String what, ExpectedCondition<T> condition) throws IOException {
        try {
            return new WebDriverWait(driver, WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                    .until(condition);
        } catch (TimeoutException e) {
            screenshot("failed");
            fail("waited " + WAIT.toSeconds() + " s for " + what + "; the page showed:\n"
                    + driver.findElement(By.tagName("body")).getText() + "\nconsole tail:\n" + tail(console));
            return null;
        }
    }

    private void screenshot(String name) throws IOException {
        File shot = driver.getScreenshotAs(OutputType.FILE);
        Path out = Path.of("target/screenshots", name + ".png");
        Files.createDirectories(out.getParent());
        Files.copy(shot.toPath(), out, StandardCopyOption.REPLACE_EXISTING);
        assertTrue(Files.size(out) > 5000, "a screenshot of " + name + " with something on it");
    }

    private static String tail(Path file) throws IOException {
        if (!Files.exists(file)) {
            return "";
        }
        List<String> lines = Files.readAllLines(file);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    /** Chromium and its driver, installed with apt-get when missing and possible. */
    private static void ensureChromium() throws Exception {
        if (!(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER))
                && Files.isExecutable(Path.of("/usr/bin/apt-get")) && "root".equals(System.getProperty("user.name"))) {
            Process p = new ProcessBuilder("apt-get", "install", "-y", "-q", "chromium", "chromium-driver",
                    "fonts-dejavu-core").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (!(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER))) {
            String why = "no Chromium (" + CHROMIUM + ") or chromedriver (" + DRIVER + "), and apt-get could not install them";
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.abort(why);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
