package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.dnnl.global.dnnl;
import org.jgan.engine.internal.memory.GraphMemory;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Which kernel takes a first layer's weight gradient (only the parameters' gradients read, the plan's own arithmetic
 * on) as oneDNN's instruction set decides: oneDNN's backward-weights primitive where it reads the input as it is,
 * {@link PatchConv}'s product where it would pad the input's channels to a block (oneDNN 2.5 with AVX2 alone pads one
 * channel to eight; with AVX-512 it reads one channel as it is, and three channels with either). Each case runs in
 * a JVM of its own, since oneDNN reads its {@code DNNL_MAX_CPU_ISA} once per process: at most AVX2, and as the CPU
 * has it. The weight gradient is checked against float64 sums in each.
 */
class FirstLayerIsaTest {

    private static final Pattern LINE = Pattern.compile(
            "channels (\\d+): patch (\\d+), onednn (\\d+), error ([0-9.eE+-]+|NaN), isa (\\d+)");

    /** {@code channels -> [patch calls, oneDNN calls]} with the error and the effective ISA, from a child JVM. */
    private static Map<Integer, long[]> run(String maxIsa) throws IOException, InterruptedException {
        Map<String, String> env = new HashMap<>();
        env.put("ONEDNN_MAX_CPU_ISA", null);
        env.put("DNNL_MAX_CPU_ISA", maxIsa);
        String out = ChildJvm.run(Child.class, env, "the child JVM (DNNL_MAX_CPU_ISA=" + maxIsa + ")", 180);
        Map<Integer, long[]> r = new TreeMap<>();
        Matcher m = LINE.matcher(out);
        while (m.find()) {
            double error = Double.parseDouble(m.group(4));
            assertTrue(error < 1e-5, "weight gradient off by " + error + " relative, " + m.group(1) + " channels, "
                    + "DNNL_MAX_CPU_ISA=" + maxIsa);
            r.put(Integer.parseInt(m.group(1)), new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(5))});
        }
        assertEquals(2, r.size(), "two cases reported (DNNL_MAX_CPU_ISA=" + maxIsa + "): " + out);
        return r;
    }

    private static boolean avx512(long isa) {
        return (isa & dnnl.dnnl_cpu_isa_avx512_core) == dnnl.dnnl_cpu_isa_avx512_core;
    }

    /**
     * Whether this process's oneDNN runs AVX-512 kernels, so that a one-channel first layer's weight gradient goes
     * to its backward-weights primitive (else to PatchConv's product).
     */
    static boolean oneDnnHasAvx512() {
        return OneDnnConv.available() && avx512(dnnl.dnnl_get_effective_cpu_isa());
    }

    @Test
    void avx2PadsOneChannelSoThePatchProductTakesIt() throws Exception {
        Map<Integer, long[]> r = run("AVX2");
        assertTrue(!avx512(r.get(1)[2]), "oneDNN limited to AVX2: isa " + r.get(1)[2]);
        assertEquals(1, r.get(1)[0], "one channel: PatchConv's product");
        assertEquals(0, r.get(1)[1], "one channel: not oneDNN's padded primitive");
        assertEquals(0, r.get(3)[0], "three channels: not PatchConv");
        assertEquals(1, r.get(3)[1], "three channels: oneDNN's primitive");
    }

    @Test
    void asTheCpuHasIt() throws Exception {
        Map<Integer, long[]> r = run(null);
        boolean wide = avx512(r.get(1)[2]);
        assertEquals(wide ? 0 : 1, r.get(1)[0], "one channel by PatchConv unless oneDNN has AVX-512 (isa "
                + r.get(1)[2] + ")");
        assertEquals(wide ? 1 : 0, r.get(1)[1], "one channel by oneDNN with AVX-512");
        assertEquals(1, r.get(3)[1], "three channels: oneDNN's primitive");
    }

    /** Builds a first layer of 1 and of 3 input channels in a plan and prints which kernel took its weights. */
    public static final class Child {
        public static void main(String[] args) {
            GraphPlan.ownArithmetic(true);
            for (int channels : new int[] {1, 3}) {
                Random r = new Random(5 + channels);
                SameDiff sd = GraphMemory.create();
                SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, channels, 16, 16);
                SDVariable w = sd.var("w", random(r, 3, 3, channels, 8));
                SDVariable z = sd.cnn.conv2d(x, w, Conv2DConfig.builder().kH(3).kW(3).sH(1).sW(1).pH(1).pW(1)
                        .dataFormat("NCHW").build());
                INDArray m = random(r, 4, 8, 16, 16);
                sd.setLossVariables(z.mul(sd.constant("m", m)).sum().rename("loss"));
                sd.createGradFunction("x");
                INDArray data = random(r, 4, channels, 16, 16);
                Map<String, Long> before = Replacements.calls();
                INDArray got = GraphPlan.output(sd.getFunction("grad"), Map.of("x", data), List.of("w-grad"))
                        .get("w-grad");
                Map<String, Long> after = Replacements.calls();
                double worst = 0;
                double largest = 0;
                for (int ky = 0; ky < 3; ky++) {
                    for (int kx = 0; kx < 3; kx++) {
                        for (int c = 0; c < channels; c++) {
                            for (int o = 0; o < 8; o++) {
                                double s = 0;
                                for (int i = 0; i < 4; i++) {
                                    for (int y = 0; y < 16; y++) {
                                        for (int xx = 0; xx < 16; xx++) {
                                            int iy = y + ky - 1;
                                            int ix = xx + kx - 1;
                                            if (iy >= 0 && iy < 16 && ix >= 0 && ix < 16) {
                                                s += data.getDouble(i, c, iy, ix) * m.getDouble(i, o, y, xx);
                                            }
                                        }
                                    }
                                }
                                worst = Math.max(worst, Math.abs(got.getDouble(ky, kx, c, o) - s));
                                largest = Math.max(largest, Math.abs(s));
                            }
                        }
                    }
                }
                System.out.println("channels " + channels + ": patch " + (after.getOrDefault("conv2d_bp/patch", 0L)
                        - before.getOrDefault("conv2d_bp/patch", 0L)) + ", onednn "
                        + (after.getOrDefault("conv2d_bp/weights/onednn", 0L)
                        - before.getOrDefault("conv2d_bp/weights/onednn", 0L)) + ", error " + worst / largest
                        + ", isa " + dnnl.dnnl_get_effective_cpu_isa());
            }
            System.exit(0);
        }

        private static INDArray random(Random r, long... shape) {
            INDArray a = Nd4j.create(DataType.FLOAT, shape);
            for (long i = 0; i < a.length(); i++) {
                a.putScalar(i, (float) r.nextGaussian());
            }
            return a;
        }
    }
}
