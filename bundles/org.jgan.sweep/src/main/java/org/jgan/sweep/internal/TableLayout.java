package org.jgan.sweep.internal;

import static org.jgan.sweep.internal.SpecJson.fail;
import static org.jgan.sweep.internal.SpecJson.integer;
import static org.jgan.sweep.internal.SpecJson.scalar;
import static org.jgan.sweep.internal.SpecJson.sorted;
import static org.jgan.sweep.internal.SpecJson.string;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Set;

/**
 * How {@code gan:sweep table} lays out the scores.
 *
 * @param metrics the scores to show; empty: every score found
 * @param columns an axis whose levels become column groups, or null for one row per cell
 * @param results a results file to write the Markdown table into (the text below its marker kept), or null
 * @param rows    Markdown rows written below the cells (e.g. published figures beside the sweep's)
 * @param perSeed a score shown seed by seed in a second table, or null
 * @param at      iterations at which to show the metrics (from each run's metrics.csv), or empty for the end
 * @param images  a folder to copy each completed run's last sample grid or scatter plot into, as RUN.png, or null
 */
public record TableLayout(List<Metric> metrics, String columns, String results, String title, List<String> rows,
        String perSeed, List<Long> at, String images) {

    private static final Set<String> TABLE_KEYS = Set.of("metrics", "columns", "results", "title", "rows",
            "perSeed", "at", "images");

    /**
     * A score in the Markdown table: its key (e.g. {@code mixture.high_quality}), the column's label, a factor the
     * values are shown multiplied by (100 for a percentage) and the decimals shown (-1: 3, or 1 from 100 up). CSV
     * and JSON keep the scores as the runs wrote them.
     */
    public record Metric(String score, String label, double scale, int digits) {
    }

    /** The spec's "table" object; the default layout when it is absent. */
    static TableLayout parse(JsonElement table, String source, List<Axis> axes) {
        if (table == null) {
            return new TableLayout(List.of(), null, null, null, List.of(), null, List.of(), null);
        }
        if (!table.isJsonObject()) {
            throw fail(source, "'table' must be an object with " + String.join(", ", sorted(TABLE_KEYS)));
        }
        JsonObject t = table.getAsJsonObject();
        for (String k : t.keySet()) {
            if (!TABLE_KEYS.contains(k)) {
                throw fail(source, "unknown key 'table." + k + "'; expected " + String.join(", ", sorted(TABLE_KEYS)));
            }
        }
        List<Metric> metrics = SpecJson.list(t, "table.metrics", source, "a list of score names, e.g. "
                + "[\"mixture.modes\"]", m -> metric(m, source));
        String columns = string(t, "table.columns", source, null);
        if (columns != null && axes.stream().noneMatch(a -> a.name().equals(columns))) {
            throw fail(source, "'table.columns' is '" + columns + "'; expected one of the grid's axes "
                    + axes.stream().map(Axis::name).toList());
        }
        List<String> rows = SpecJson.list(t, "table.rows", source, "a list of Markdown table rows, e.g. "
                + "[\"| published | 7.9 |\"]", r -> scalar(r, source, "table.rows"));
        String iterations = "a list of iterations, e.g. [1000, 2000]";
        List<Long> at = SpecJson.list(t, "table.at", source, iterations, i -> integer(i, source, "'table.at' must be "
                + iterations));
        if (!at.isEmpty() && metrics.isEmpty()) {
            throw fail(source, "'table.at' needs 'table.metrics': the scores to show at those iterations");
        }
        return new TableLayout(List.copyOf(metrics), columns, string(t, "table.results", source, null),
                string(t, "table.title", source, null), List.copyOf(rows), string(t, "table.perSeed", source, null),
                List.copyOf(at), string(t, "table.images", source, null));
    }

    /** "score" or {"score": "mixture.high_quality", "label": "high quality %", "scale": 100, "digits": 1}. */
    private static Metric metric(JsonElement m, String source) {
        if (!m.isJsonObject()) {
            String score = scalar(m, source, "table.metrics");
            return new Metric(score, score, 1, -1);
        }
        JsonObject o = m.getAsJsonObject();
        for (String k : o.keySet()) {
            if (!Set.of("score", "label", "scale", "digits").contains(k)) {
                throw fail(source, "unknown key '" + k + "' in a metric of 'table.metrics'; expected digits, label, "
                        + "scale, score");
            }
        }
        String score = string(o, "table.metrics.score", source, null);
        if (score == null) {
            throw fail(source, "a metric of 'table.metrics' has no \"score\"; expected e.g. {\"score\": \"mixture.modes\"}");
        }
        String scale = o.has("scale") ? scalar(o.get("scale"), source, "table.metrics.scale") : "1";
        String digits = o.has("digits") ? scalar(o.get("digits"), source, "table.metrics.digits") : "-1";
        try {
            return new Metric(score, o.has("label") ? string(o, "table.metrics.label", source, score) : score,
                    Double.parseDouble(scale), Integer.parseInt(digits));
        } catch (NumberFormatException e) {
            throw fail(source, "metric '" + score + "': scale must be a number and digits an integer");
        }
    }
}
