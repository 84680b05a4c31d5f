package org.jgan.dashboard.internal;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.jgan.api.TrainingService;
import org.jgan.api.dto.RunStatusDTO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's HTTP face: the page and its static files, a JSON API over the {@link TrainingService}, the files
 * of run folders by name ({@link RunFiles}) and the live event stream ({@link EventStream}).
 * <pre>
 *   GET  /                              the page (sets the session cookie, carries the request token)
 *   GET  /static/NAME                   the page's script and style, the vendored chart library
 *   GET  /api/runs                      every run's status
 *   GET  /api/recorded                  the runs of runs/ from earlier runtimes and other processes, as recorded
 *   GET  /api/runs/ID                   a run's status and the names of its sample images
 *   GET  /api/runs/ID/losses?from=N     losses.csv rows after iteration N, as columns
 *   GET  /api/runs/ID/file/NAME         config.json, history.csv, metrics.csv, samples/iter-...png, ...
 *   GET  /api/components                the component catalog (every kind, option, default, range)
 *   GET  /api/events                    server-sent events: progress and state of every run
 *   POST /api/runs/ID/pause|resume|stop
 *   POST /api/runs/ID/set               body {"key": "value", ...}: a live change, as gan:set
 *   POST /api/runs/ID/sample            body {"count": "64", "seed": "3"}: as gan:sample; {"file": "explore/..."}
 *   POST /api/runs/ID/evaluate          body {"metrics": "auto", ...}: as gan:evaluate; {"result": "the table"}
 *   POST /api/validate, POST /api/runs  body {"preset": P, "settings": {...}}: as gan:validate, gan:start
 * </pre>
 * Every POST needs the same-origin and token checks of {@link Csrf}. Errors are a status and {@code {"error":
 * "one line"}}, never a stack trace (unexpected failures are logged with theirs).
 */
class DashboardServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DashboardServlet.class);
    /** Heartbeat of the event stream, so that a closed connection is noticed. */
    private static final long HEARTBEAT_MILLIS = 15_000;
    /** At most this many rows of losses.csv in one answer (the newest ones). */
    static final int MAX_LOSS_ROWS = 20_000;
    private static final Map<String, String> STATIC = Map.of(
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8",
            "vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8",
            "vendor/uPlot.min.css", "text/css; charset=utf-8",
            "vendor/LICENSE", "text/plain; charset=utf-8");

    /** An answer with a status and a one-line reason. */
    static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        Refusal(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private final transient TrainingService training;
    private final transient EventStream events;
    private final transient Csrf csrf;
    /** Host names besides this machine's loopback ones that requests may name (the bound host). */
    private final transient Set<String> hosts;
    /** Bound to all addresses (0.0.0.0, ::) on purpose: any Host name is answered. */
    private final boolean anyHost;

    DashboardServlet(TrainingService training, EventStream events, Csrf csrf, String boundHost) {
        this.training = training;
        this.events = events;
        this.csrf = csrf;
        String bound = boundHost == null ? "" : boundHost.trim().toLowerCase(Locale.ROOT);
        this.anyHost = bound.equals("0.0.0.0") || bound.equals("::") || bound.equals("[::]");
        // an IPv6 address is named in brackets in a Host header
        this.hosts = bound.isEmpty() ? Set.of()
                : Set.of(bound.contains(":") && !bound.startsWith("[") ? "[" + bound + "]" : bound);
    }

    /** Ends every event stream (the servlet is going: its bundle stops or is updated; the pages reconnect). */
    @Override
    public void destroy() {
        events.close();
        super.destroy();
    }

    final EventStream events() {
        return events;
    }

    @Override
    protected final void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        handle(req, resp, false);
    }

    @Override
    protected final void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        handle(req, resp, true);
    }

    private void handle(HttpServletRequest req, HttpServletResponse resp, boolean post) throws IOException {
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("Cache-Control", "no-store");
        try {
            String badHost = Csrf.hostRefusal(req, hosts, anyHost);
            if (badHost != null) {
                throw new Refusal(403, badHost);
            }
            String path = req.getRequestURI().substring(req.getContextPath().length());
            if (post) {
                String refusal = csrf.refusal(req);
                if (refusal != null) {
                    throw new Refusal(403, refusal);
                }
                post(path, req, resp);
            } else {
                get(path, req, resp);
            }
        } catch (Refusal r) {
            error(resp, r.status, r.getMessage());
        } catch (IllegalArgumentException | NoSuchElementException e) {
            error(resp, 400, e.getMessage());
        } catch (IllegalStateException e) {
            error(resp, 409, e.getMessage());
        } catch (IOException e) {
            // a run file that could not be read, or a client that went away (then nothing reaches it)
            LOG.debug("dashboard request {} failed: {}", req.getRequestURI(), e.toString());
            error(resp, 500, "could not read what was asked for: " + e.getMessage());
        } catch (RuntimeException | Error e) {
            LOG.warn("dashboard request {} failed", req.getRequestURI(), e);
            error(resp, 500, "internal error (the runtime's log has the details)");
        }
    }

    private void get(String path, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (path.equals("/") || path.equals("/index.html")) {
            page(req, resp);
        } else if (path.startsWith("/static/")) {
            staticFile(path.substring("/static/".length()), resp);
        } else if (path.equals("/api/runs")) {
            json(resp, training.runs());
        } else if (path.equals("/api/recorded")) {
            json(resp, training.recordedRuns());
        } else if (path.equals("/api/components")) {
            json(resp, training.components());
        } else if (path.equals("/api/events")) {
            stream(resp);
        } else if (path.startsWith("/api/runs/")) {
            String[] parts = path.substring("/api/runs/".length()).split("/", 3);
            RunStatusDTO run = run(parts[0]);
            if (parts.length == 1) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("status", run);
                // a run that is still starting has no folder yet
                Path folder = folder(run);
                out.put("samples", folder == null ? List.of() : RunFiles.samples(folder));
                out.put("evaluations", folder == null ? List.of() : RunFiles.evaluations(folder));
                out.put("explorations", folder == null ? List.of() : RunFiles.explorations(folder));
                json(resp, out);
            } else if (parts.length == 2 && parts[1].equals("losses")) {
                json(resp, losses(folder(run), fromParameter(req.getParameter("from"))));
            } else if (parts.length == 3 && parts[1].equals("file")) {
                file(folder(run), parts[2], resp);
            } else {
                throw new Refusal(404, "no such page: " + path);
            }
        } else {
            throw new Refusal(404, "no such page: " + path);
        }
    }

    private void post(String path, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (path.equals("/api/validate") || path.equals("/api/runs")) {
            StartRequest s = StartRequest.parse(body(req));
            if (path.equals("/api/validate")) {
                json(resp, training.validate(s.preset(), s.settings()));
            } else {
                // validated as gan:validate does before anything starts
                training.validate(s.preset(), s.settings());
                json(resp, training.start(s.preset(), s.settings()));
            }
            return;
        }
        if (!path.startsWith("/api/runs/")) {
            throw new Refusal(404, "no such action: " + path);
        }
        String[] parts = path.substring("/api/runs/".length()).split("/");
        if (parts.length != 2) {
            throw new Refusal(404, "no such action: " + path);
        }
        RunStatusDTO run = run(parts[0]);
        String id = run.id;
        if (Set.of("sample", "mix", "traverse", "interpolate", "arithmetic", "evaluate").contains(parts[1])) {
            Map<String, String> options = new HashMap<>(JsonOut.stringMap(body(req), parts[1]));
            options.values().removeIf(String::isBlank);
            String action = parts[1];
            if (action.equals("evaluate")) {
                json(resp, Map.of("result", training.evaluate(id, options)));
                return;
            }
            if (action.equals("interpolate") || action.equals("arithmetic")) {
                // the typed commands' options, checked here as the shell checks them
                Set<String> known = action.equals("interpolate") ? Set.of("rows", "steps", "seed", "mode")
                        : Set.of("expression", "seed", "variants", "noise");
                for (String k : options.keySet()) {
                    if (!known.contains(k)) {
                        throw new IllegalArgumentException(action + ": unknown option '" + k + "'; expected "
                                + new java.util.TreeSet<>(known));
                    }
                }
                String mode = options.getOrDefault("mode", "linear");
                if (!mode.equals("linear") && !mode.equals("spherical")) {
                    throw new IllegalArgumentException(action + ": mode is '" + mode
                            + "'; expected linear or spherical");
                }
            }
            String written = switch (action) {
                case "sample" -> training.sample(id, options);
                case "mix" -> training.mix(id, options);
                case "traverse" -> training.traverse(id, options);
                case "interpolate" -> training.interpolate(id, number(action, options, "rows", 10),
                        number(action, options, "steps", 10), seed(action, options.get("seed")),
                        "spherical".equals(options.getOrDefault("mode", "linear")));
                default -> training.arithmetic(id, options.getOrDefault("expression", ""),
                        seed(action, options.get("seed")), number(action, options, "variants", 8),
                        options.containsKey("noise") ? decimal(action, options.get("noise")) : 0.25);
            };
            Path folder = folder(run).toAbsolutePath().normalize();
            json(resp, Map.of("file", folder.relativize(Path.of(written).toAbsolutePath().normalize()).toString()));
            return;
        }
        RunStatusDTO after = switch (parts[1]) {
            case "pause" -> training.pause(id);
            case "resume" -> training.resume(id);
            case "stop" -> training.stop(id);
            case "set" -> training.set(id, JsonOut.stringMap(body(req), "set"));
            default -> throw new Refusal(404, "no such action: " + parts[1]);
        };
        json(resp, after);
    }

    /** The start request's body: {@code {"preset": "default", "settings": {"iterations": "500"}}}. */
    record StartRequest(String preset, Map<String, String> settings) {
        static StartRequest parse(String body) {
            try {
                JsonObject o = JsonOut.GSON.fromJson(body, JsonObject.class);
                if (o == null) {
                    throw new IllegalArgumentException("expected {\"preset\": NAME, \"settings\": {...}}");
                }
                String preset = o.has("preset") && !o.get("preset").isJsonNull() ? o.get("preset").getAsString() : null;
                Map<String, String> settings = o.has("settings")
                        ? JsonOut.stringMap(o.get("settings").toString(), "settings") : Map.of();
                return new StartRequest(preset == null || preset.isBlank() ? null : preset, settings);
            } catch (JsonParseException | UnsupportedOperationException | IllegalStateException e) {
                throw new IllegalArgumentException("expected {\"preset\": NAME, \"settings\": {\"key\": \"value\"}}");
            }
        }
    }

    private RunStatusDTO run(String id) {
        if (!RunFiles.plainName(id)) {
            throw new Refusal(404, "unknown run");
        }
        for (RunStatusDTO s : training.runs()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        // a run of runs/ from an earlier runtime: looked up only when it is not one of this runtime's
        for (RunStatusDTO s : training.recordedRuns()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        throw new Refusal(404, "unknown run '" + id + "'");
    }

    private static Path folder(RunStatusDTO run) {
        return run.outputDir == null ? null : Path.of(run.outputDir);
    }

    private static int number(String action, Map<String, String> options, String key, int absent) {
        String v = options.get(key);
        if (v == null) {
            return absent;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(action + ": " + key + " is '" + v + "'; expected a whole number");
        }
    }

    private static double decimal(String action, String v) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(action + ": noise is '" + v + "'; expected a number");
        }
    }

    private static Long seed(String action, String seed) {
        if (seed == null) {
            return null;
        }
        try {
            return Long.parseLong(seed.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(action + ": seed is '" + seed + "'; expected a whole number");
        }
    }

    private static long fromParameter(String from) {
        if (from == null || from.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(from);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("from: expected an iteration number, got '" + from + "'");
        }
    }

    /** losses.csv rows after iteration {@code from}: {"columns": [...], "rows": [[iteration, v, ...], ...]}. */
    static Map<String, Object> losses(Path folder, long from) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        List<String> columns = new ArrayList<>();
        List<Double[]> rows = new ArrayList<>();
        Path csv = RunFiles.resolve(folder, "losses.csv");
        if (csv != null) {
            String text = Files.readString(csv, StandardCharsets.UTF_8);
            // a last line without its newline is being written (the log's buffer went out mid-row): left for later
            List<String> lines = new ArrayList<>(text.lines().toList());
            if (!text.isEmpty() && !text.endsWith("\n") && !lines.isEmpty()) {
                lines.remove(lines.size() - 1);
            }
            if (!lines.isEmpty()) {
                columns.addAll(List.of(lines.get(0).split(",", -1)));
            }
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] cells = line.split(",", -1);
                if (cells.length != columns.size()) {
                    continue; // a row being written
                }
                Double[] row = new Double[cells.length];
                try {
                    for (int i = 0; i < cells.length; i++) {
                        row[i] = cells[i].isEmpty() ? null : Double.valueOf(cells[i]);
                    }
                } catch (NumberFormatException e) {
                    continue;
                }
                if (row[0] != null && row[0] > from) {
                    rows.add(row);
                }
            }
        }
        out.put("columns", columns);
        out.put("rows", rows.size() > MAX_LOSS_ROWS ? rows.subList(rows.size() - MAX_LOSS_ROWS, rows.size()) : rows);
        return out;
    }

    private void page(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String token = csrf.token(csrf.sessionFor(req, resp));
        String html = resource("index.html").replace("{{TOKEN}}", token);
        resp.setContentType("text/html; charset=utf-8");
        resp.setHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' "
                + "'unsafe-inline'; frame-ancestors 'none'");
        resp.getWriter().write(html);
    }

    private void staticFile(String name, HttpServletResponse resp) throws IOException {
        String type = STATIC.get(name);
        if (type == null) {
            throw new Refusal(404, "no such file");
        }
        try (InputStream in = DashboardServlet.class.getResourceAsStream("/static/" + name)) {
            if (in == null) {
                throw new Refusal(404, "no such file");
            }
            resp.setContentType(type);
            resp.setHeader("Cache-Control", "max-age=3600");
            in.transferTo(resp.getOutputStream());
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = DashboardServlet.class.getResourceAsStream("/static/" + name)) {
            if (in == null) {
                throw new IOException("the bundle lacks static/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void file(Path folder, String name, HttpServletResponse resp) throws IOException {
        Path file = RunFiles.resolve(folder, name);
        if (file == null) {
            throw new Refusal(404, "no such file of the run: " + name);
        }
        String n = file.getFileName().toString();
        resp.setContentType(n.endsWith(".png") ? "image/png" : n.endsWith(".json")
                ? "application/json; charset=utf-8" : "text/plain; charset=utf-8");
        try (OutputStream out = resp.getOutputStream()) {
            Files.copy(file, out);
        }
    }

    /** The event stream of one client, until it goes away. */
    private void stream(HttpServletResponse resp) throws IOException {
        resp.setContentType("text/event-stream; charset=utf-8");
        resp.setHeader("Cache-Control", "no-cache");
        EventStream.Client client = events.connect();
        if (client == null) {
            throw new Refusal(503, "too many event streams open (" + EventStream.MAX_CLIENTS + "); close a dashboard "
                    + "tab");
        }
        PrintWriter w = resp.getWriter();
        try {
            w.write("event: runs\ndata: " + JsonOut.write(training.runs()) + "\n\n");
            w.flush();
            long dropped = 0;
            while (!w.checkError() && !client.closed()) {
                String e = client.next(HEARTBEAT_MILLIS);
                if (client.closed()) {
                    break;
                }
                if (client.dropped() != dropped) {
                    dropped = client.dropped();
                    w.write("event: dropped\ndata: " + dropped + "\n\n");
                }
                w.write(e != null ? e : ": heartbeat\n\n");
                w.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            events.disconnect(client);
        }
    }

    private static String body(HttpServletRequest req) throws IOException {
        byte[] b = req.getInputStream().readNBytes(1 << 20);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void json(HttpServletResponse resp, Object o) throws IOException {
        resp.setContentType("application/json; charset=utf-8");
        resp.getWriter().write(JsonOut.write(o));
    }

    private static void error(HttpServletResponse resp, int status, String message) throws IOException {
        if (resp.isCommitted()) {
            return;
        }
        resp.resetBuffer();
        resp.setStatus(status);
        resp.setContentType("application/json; charset=utf-8");
        String line = message == null ? "error" : message.lines().findFirst().orElse("error");
        resp.getWriter().write(JsonOut.write(Map.of("error", line)));
    }
}
