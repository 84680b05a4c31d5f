package org.jgan.engine.internal.benchmark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jgan.engine.internal.ProcStatus;
import org.jgan.engine.internal.TestCatalog;
import org.jgan.engine.internal.config.RunSpec;
import org.jgan.engine.internal.model.GanModel;
import org.jgan.engine.internal.penalty.InputGradientPenalty;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cost of each gradient penalty per iteration relative to the unregularized iteration (one D and one G step), on
 * the MLP (ring8, 128 units, batch 64) and on a small convolutional GAN (dcgan with base width 16 on 1x28x28
 * images, batch 32, batch norm in both networks). When {@code python3} can import {@code torch}, it also runs the
 * same networks and penalties in PyTorch with exact double backprop ({@code src/test/python/penalty_torch.py}),
 * warmed up after jgan's models, then each of its blocks right after jgan's block of the same configuration
 * ({@link Paced}, so that the machine's drift falls on both alike), and prints its figures and jgan's time over
 * PyTorch's for each (the ratio of the medians, and the median and range of the ratios of blocks paired by round).
 * Each PyTorch configuration's D step takes the route jgan's model takes ({@link #routes}: D once on stacked
 * batches, the loss on the penalty's points from its passes), so that both sides do the same work.
 * Prints figures; asserts nothing about time. Run with {@code mvn -B -pl bundles/org.jgan.engine -Pbenchmark test
 * -Dtest=PenaltyBenchmark -Dsurefire.failIfNoSpecifiedTests=false}, adding
 * {@code -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx512} for the oneDNN build.
 */
@Tag("benchmark")
class PenaltyBenchmark {

    /**
     * Warm-up iterations of each model: 150, or {@code -Djgan.bench.warmup=N}. With 20 (until 2026-12-02) the
     * unregularized conv model, measured first, was still in HotSpot's warm-up on 2 cores: 1.57x PyTorch's time,
     * 1.21x after 150.
     */
    private static final int WARMUP = Integer.getInteger("jgan.bench.warmup", 150);
    /** A block is one lazy period, so each block of a lazy penalty holds exactly one penalized step. */
    private static final int BLOCK = 16;
    private static final int ROUNDS = 7;
    /** Iterations each turn runs before its measured block. */
    private static final int TURN_WARMUP = 2;

    @BeforeAll
    static void instructionSets() {
        IsaLimits.print();
    }

    @Test
    void mlp() throws InterruptedException, IOException {
        // 8 lazy periods a turn: a turn of 16 iterations of 3 to 5 ms was shorter than the machine's hiccups (on
        // 2026-12-03 the unregularized MLP measured 3.4 and 5.1 ms in two runs of the same code)
        table("mlp (ring8, 128 units, batch 64)", "mlp", mlpSettings(), 8);
    }

    /** The ring MLP's run settings, without regularizers. */
    static Map<String, String> mlpSettings() {
        return Map.of("dataset", "ring8", "batchSize", "64", "architecture.hidden", "128", "metrics", "none");
    }

    @Test
    void conv() throws InterruptedException, IOException {
        table("conv (dcgan width 16, 1x28x28, batch 32)", "conv", convSettings(), 1);
    }

    /** The conv GAN's run settings, without regularizers. */
    static Map<String, String> convSettings() {
        return Map.of("architecture", "dcgan", "architecture.channels", "16", "dataset", "test-images",
                "dataset.size", "28", "dataset.channels", "1", "batchSize", "32", "metrics", "none", "dataset.pool",
                ArchitectureSpeedBenchmark.DATA_POOL);
    }

    /**
     * Every configuration's model is built first and warmed up; then the configurations take turns, {@code periods}
     * blocks of {@link #BLOCK} iterations each per round after {@link #TURN_WARMUP} unmeasured ones, so that drift of
     * the machine (JIT, native memory, other load) falls on all of them alike; PyTorch's block of a configuration runs
     * right after jgan's (paced per configuration since 2026-12-04, per round before). A configuration's figure is the
     * median over rounds of its block's mean.
     */
    private static void table(String title, String torchCase, Map<String, String> base, int periods)
            throws InterruptedException, IOException {
        Map<String, GanModel> models = new LinkedHashMap<>();
        // -Djgan.bench.penalties=roth,r1 measures a subset: fewer models alive at once (each holds SameDiff's array
        // caches, and together they can push native memory past JavaCPP's limit, which then forces collections)
        // (each named once: PyTorch's reference runs a configuration per name, paced with jgan's models)
        String only = String.join(",", new java.util.LinkedHashSet<>(List.of(
                System.getProperty("jgan.bench.penalties", "roth,r1,r2,wgan-gp,dragan").split(","))));
        Map<String, List<Double>> blocks = new HashMap<>();
        Paced torch = null;
        Thread deadline = null;
        try {
            models.put("none", model(base, "", 1));
            for (String p : only.split(",")) {
                for (int every : new int[] {1, 16}) {
                    models.put(p + " every " + every, model(base, p, every));
                }
                // the central difference that tangents replaced, side by side
                GanModel difference = model(base, p, 1);
                difference.penaltyMethod(InputGradientPenalty.Method.DIFFERENCE);
                models.put(p + " difference", difference);
            }
            Map<String, long[]> its = new HashMap<>();
            models.forEach((name, m) -> {
                its.put(name, new long[] {0});
                blocks.put(name, new ArrayList<>());
                run(m, its.get(name), WARMUP);
            });
            // PyTorch on the same networks, penalties by exact double backprop on every D step: warmed up while jgan
            // waits, then each of its blocks right after jgan's of the same configuration (Paced), so that the
            // machine's drift falls on both alike
            Process process = TorchReference.start("penalty_torch.py", 1, torchCase,
                    String.valueOf(Runtime.getRuntime().availableProcessors()), only, routes(models));
            torch = process == null ? null : new Paced(process);
            deadline = process == null ? null : Paced.deadline(30, List.of(process));
            boolean torchWaits = torch != null && torch.next();
            if (torch != null && !torchWaits) {
                System.out.println("pytorch reference: penalty_torch.py reached no gate: it ran alone, unpaced");
            }
            for (int round = 0; round < ROUNDS; round++) {
                for (Map.Entry<String, GanModel> e : models.entrySet()) {
                    System.gc();
                    // the first iterations after a switch of model refill its caches: not measured (until
                    // 2026-12-04 the rows after Roth et al.'s three models measured slower than the same models
                    // earlier in the round)
                    run(e.getValue(), its.get(e.getKey()), TURN_WARMUP);
                    long t0 = System.nanoTime();
                    run(e.getValue(), its.get(e.getKey()), BLOCK * periods);
                    blocks.get(e.getKey()).add((System.nanoTime() - t0) / 1e6 / (BLOCK * periods));
                    if (torchWaits && hasTorchRow(e.getKey())) {
                        // PyTorch's block of the same configuration, right after jgan's
                        torchWaits = torch.go();
                    }
                }
            }
            System.out.println(title + " (" + ROUNDS + " rounds of " + BLOCK * periods + " iterations; malloc: "
                    + ProcStatus.malloc() + ")");
            double plain = median(blocks.get("none"));
            for (String name : models.keySet()) {
                double ms = median(blocks.get(name));
                System.out.printf(Locale.ROOT, "  %-18s %8.2f ms/iteration  %.2fx%n", name, ms, ms / plain);
            }
            if (torch == null) {
                return;
            }
            while (torchWaits) {
                // more rounds than jgan's: let it finish
                torchWaits = torch.go();
            }
            int status = torch.process.waitFor();
            String out = torch.lines.stream().filter(l -> l.startsWith("pytorch ")).map(l -> l + "\n")
                    .collect(Collectors.joining());
            if (out.isEmpty()) {
                System.out.println("pytorch reference: penalty_torch.py gave no figures (exit status " + status + ")");
                return;
            }
            System.out.print(out);
            Map<String, List<Double>> torchBlocks = new HashMap<>();
            for (String line : torch.lines) {
                String[] f = line.split(" ");
                if (f.length == 3 && f[0].equals("pytorch-blocks")) {
                    List<Double> b = new ArrayList<>();
                    for (String v : f[2].split(",")) {
                        b.add(Double.parseDouble(v));
                    }
                    torchBlocks.put(f[1], b);
                }
            }
            Matcher m = Pattern.compile("pytorch \\S+ \\S+ (\\S+)\\s+([0-9.]+) ms").matcher(out);
            while (m.find()) {
                String name = m.group(1).equals("none") ? "none" : m.group(1) + " every 1";
                if (blocks.containsKey(name)) {
                    double ms = median(blocks.get(name));
                    System.out.printf(Locale.ROOT, "  jgan / pytorch, %-8s %.2fx the time%s%n", m.group(1),
                            ms / Double.parseDouble(m.group(2)), paired(blocks.get(name), torchBlocks.get(m.group(1))));
                }
            }
        } finally {
            // also when a measurement fails: each model holds native memory
            models.values().forEach(GanModel::close);
            if (torch != null) {
                torch.process.destroyForcibly();
            }
            if (deadline != null) {
                deadline.interrupt();
            }
        }
    }

    /**
     * The route of each configuration's D step that PyTorch's reference is to take, as jgan's model of it takes it
     * (after its warm-up): {@code name:flags}, comma-separated, with {@code s} where D runs once on batches stacked
     * (the loss's two batches, or the penalty's point groups where its passes carry the loss) and {@code c} where the
     * loss on the penalty's points rides on its passes (penalty_torch.py).
     */
    static String routes(Map<String, GanModel> models) {
        List<String> routes = new ArrayList<>();
        models.forEach((name, m) -> {
            if (hasTorchRow(name)) {
                boolean carried = !name.equals("none") && m.lossRidesOnPenalty();
                boolean stacked = carried ? m.penaltyGroupsStacked() > 0 : m.critiquesStacked();
                routes.add(name.replace(" every 1", "") + ":" + (stacked ? "s" : "") + (carried ? "c" : ""));
            }
        });
        return String.join(",", routes);
    }

    /** Whether PyTorch's reference runs this configuration too (unregularized, each penalty on every D step). */
    private static boolean hasTorchRow(String name) {
        return name.equals("none") || name.endsWith(" every 1");
    }

    static GanModel model(Map<String, String> base, String penalty, int every) {
        Map<String, String> raw = new HashMap<>(base);
        raw.put("regularizers", penalty);
        if (!penalty.isEmpty()) {
            raw.put("regularizer." + penalty + ".every", Integer.toString(every));
        }
        RunSpec spec = RunSpec.parse(raw, TestCatalog.create(), "bench");
        return new GanModel(spec, spec.datasetComponent().open(spec.dataset().options()));
    }

    private static void run(GanModel m, long[] it, int n) {
        for (int i = 0; i < n; i++, it[0]++) {
            m.discriminatorStep(it[0], 0);
            m.generatorStep(it[0]);
        }
    }

    /**
     * The ratios of jgan's block to PyTorch's block of the same configuration in the same round (run one after the
     * other), their median and range: drift slower than a block falls on both sides of each ratio alike. Empty when
     * PyTorch gave no blocks or a different number of rounds.
     */
    static String paired(List<Double> jgan, List<Double> torch) {
        if (torch == null || torch.size() != jgan.size() || jgan.isEmpty()) {
            return "";
        }
        List<Double> ratios = new ArrayList<>();
        for (int r = 0; r < jgan.size(); r++) {
            ratios.add(jgan.get(r) / torch.get(r));
        }
        return String.format(Locale.ROOT, " (paired by round: median %.2fx, %.2f-%.2fx)",
                DcganSpeedBenchmark.medianOfRounds(ratios),
                Collections.min(ratios), Collections.max(ratios));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
