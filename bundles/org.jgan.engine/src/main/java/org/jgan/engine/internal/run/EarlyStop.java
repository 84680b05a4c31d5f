package org.jgan.engine.internal.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jgan.engine.internal.config.RunSettings;

/**
 * Early stopping on one score of the run's metrics ({@code stopScore}, {@code stopGoal}, {@code stopPatience},
 * {@code stopDelta}): the run completes at an evaluation once the score has not improved on its best by more than
 * {@code stopDelta} for {@code stopPatience} evaluations in a row (the patience rule of Keras's {@code EarlyStopping}
 * with {@code min_delta}: a score counts as better only when it beats the best so far by more than the delta).
 *
 * <p>The verdict is a function of the evaluations recorded in the run's metrics.csv and the run's current settings,
 * nothing else: a resumed run reads them back from the log (cut back to its checkpoint, as the log is), so it stops
 * where the uninterrupted run would, and a live change of the settings is judged over the whole recorded history.
 */
final class EarlyStop {

    /** One evaluation of the watched score. */
    record Point(long iteration, double value) {
    }

    /**
     * Where the score stands.
     *
     * @param best          the best value so far
     * @param bestIteration the iteration of the evaluation that set it
     * @param since         evaluations after it that did not improve on it
     */
    record Verdict(double best, long bestIteration, int since, boolean stop) {
    }

    private final List<Point> points = new ArrayList<>();
    private final String score;

    /** The watch of {@code score}'s evaluations (none yet). */
    EarlyStop(String score) {
        this.score = score;
    }

    /** The watch of the evaluations of {@code score} recorded in {@code metricsCsv} (rows iteration,metric,value). */
    static EarlyStop read(String score, Path metricsCsv) throws IOException {
        EarlyStop watch = new EarlyStop(score);
        if (!Files.isRegularFile(metricsCsv)) {
            return watch;
        }
        for (String row : Files.readAllLines(metricsCsv, StandardCharsets.UTF_8)) {
            int first = row.indexOf(',');
            int last = row.lastIndexOf(',');
            if (first <= 0 || last <= first || !row.substring(first + 1, last).equals(score)) {
                continue;
            }
            try {
                watch.add(Long.parseLong(row.substring(0, first)), Double.parseDouble(row.substring(last + 1)));
            } catch (NumberFormatException e) {
                // the header, or a row cut short by a crash (the log is cut back to complete rows on resume)
            }
        }
        return watch;
    }

    String score() {
        return score;
    }

    /** Records one evaluation. */
    void add(long iteration, double value) {
        points.add(new Point(iteration, value));
    }

    int evaluations() {
        return points.size();
    }

    /**
     * The verdict after the evaluations so far under {@code settings}' goal, patience and delta; null before the
     * first evaluation. A NaN score never improves (a diverged run stops once patience runs out).
     */
    Verdict verdict(RunSettings settings) {
        if (points.isEmpty()) {
            return null;
        }
        boolean lower = settings.stopGoal().equals("min");
        double delta = settings.stopDelta();
        double best = Double.NaN;
        long bestIteration = -1;
        int since = 0;
        for (Point p : points) {
            boolean better = !Double.isNaN(p.value()) && (Double.isNaN(best)
                    || (lower ? p.value() < best - delta : p.value() > best + delta));
            if (better) {
                best = p.value();
                bestIteration = p.iteration();
                since = 0;
            } else {
                since++;
            }
        }
        return new Verdict(best, bestIteration, since, since >= settings.stopPatience());
    }

    /** The verdict in words, for the log and history.csv. */
    String describe(Verdict v, RunSettings settings) {
        if (v.bestIteration() < 0) {
            return String.format(Locale.ROOT, "%s has had no finite value in %d evaluations", score, v.since());
        }
        return String.format(Locale.ROOT, "%s has not improved on its best, %s at iteration %d, by more than %s "
                + "(goal %s) in %d evaluations", score, v.best(), v.bestIteration(), settings.stopDelta(),
                settings.stopGoal(), v.since());
    }
}
