package org.jgan.engine.internal.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ratio the speed benchmarks print over several rounds ({@link DcganSpeedBenchmark#medianOfRounds}), and the
 * penalty benchmark's ratios of blocks paired by round ({@link PenaltyBenchmark#paired}).
 */
class MedianOfRoundsTest {

    @Test
    void oddCountsGiveTheMiddleEvenCountsTheMeanOfTheMiddleTwo() {
        assertEquals(0.93, DcganSpeedBenchmark.medianOfRounds(List.of(1.02, 0.86, 0.93)), 0.0);
        // two rounds: neither the larger (the benchmarks' figure until 2026-12-04) nor the smaller
        assertEquals(0.97, DcganSpeedBenchmark.medianOfRounds(List.of(1.01, 0.93)), 1e-12);
        assertEquals(1.5, DcganSpeedBenchmark.medianOfRounds(List.of(4.0, 1.0, 2.0, 1.0)), 0.0);
        assertEquals(0.7, DcganSpeedBenchmark.medianOfRounds(List.of(0.7)), 0.0);
    }

    @Test
    void penaltyRowsPairEachRoundsBlocks() {
        // rounds' ratios 2, 3, 2: the slow third round of both sides does not move the figure
        assertEquals(" (paired by round: median 2.00x, 2.00-3.00x)",
                PenaltyBenchmark.paired(List.of(2.0, 6.0, 8.0), List.of(1.0, 2.0, 4.0)));
        assertEquals("", PenaltyBenchmark.paired(List.of(2.0, 6.0), List.of(1.0, 2.0, 4.0)), "rounds that differ");
        assertEquals("", PenaltyBenchmark.paired(List.of(2.0), null), "no blocks from PyTorch");
    }
}
