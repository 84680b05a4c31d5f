package org.jgan.nd4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jgan.nd4j.internal.BackendChoice.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU/CUDA choice against fake driver answers (no driver, a working 8.6 device, an H200, a broken driver, a
 * driver too old to report capabilities, mixed GPUs), the override, nvidia-smi's output as the driver prints it, and
 * the class loader that makes ND4J load the chosen backend.
 */
class BackendChoiceTest {

    private static Supplier<GpuProbe> answer(int exit, String output) {
        return () -> GpuProbe.parse(exit, output);
    }

    private static final Supplier<GpuProbe> NO_DRIVER =
            () -> new GpuProbe(List.of(), "no NVIDIA driver (nvidia-smi is not installed)");
    private static final Supplier<GpuProbe> RTX_A6000 = answer(0, "0, NVIDIA RTX A6000, 8.6, 535.104.05\n");
    private static final Supplier<GpuProbe> H200 = answer(0, "0, NVIDIA H200, 9.0, 570.86.15\n");
    private static final Supplier<GpuProbe> BROKEN = answer(9, "NVIDIA-SMI has failed because it couldn't communicate "
            + "with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n");

    @Test
    void computeCapabilitiesThatRunTheKernels() {
        // machine code runs on the same major capability with the same or a higher minor one
        for (int[] ok : new int[][] {{3, 7}, {5, 0}, {5, 3}, {6, 2}, {7, 2}, {7, 5}, {8, 0}, {8, 6}, {8, 7}, {8, 9}}) {
            assertTrue(BackendChoice.runs(ok[0], ok[1]), ok[0] + "." + ok[1]);
        }
        for (int[] no : new int[][] {{3, 5}, {3, 0}, {9, 0}, {10, 0}, {12, 0}, {2, 1}}) {
            assertFalse(BackendChoice.runs(no[0], no[1]), no[0] + "." + no[1]);
        }
    }

    @Test
    void aSupportedDeviceGetsCudaAndEverythingElseTheCpuWithTheReason() {
        BackendChoice a6000 = BackendChoice.choose(null, true, RTX_A6000);
        assertEquals(Backend.CUDA, a6000.backend());
        assertEquals("ND4J backend CUDA chosen because GPU 0 (NVIDIA RTX A6000, compute capability 8.6, driver "
                + "535.104.05) can run ND4J 1.0.0-M2.1's CUDA kernels", a6000.line());

        assertEquals("ND4J backend CPU chosen because no NVIDIA driver (nvidia-smi is not installed)",
                BackendChoice.choose("auto", true, NO_DRIVER).line());
        assertEquals("ND4J backend CPU chosen because GPU 0 (NVIDIA H200, compute capability 9.0, driver 570.86.15): "
                + "compute capability 9.0 is not supported by ND4J 1.0.0-M2.1's CUDA kernels (built for 3.7 to 8.6, "
                + "without PTX: Hopper and newer GPUs cannot run them)", BackendChoice.choose(null, true, H200).line());
        assertEquals("ND4J backend CPU chosen because the NVIDIA driver does not work (nvidia-smi exited with status 9: "
                + "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the "
                + "latest NVIDIA driver is installed and running.)", BackendChoice.choose(null, true, BROKEN).line());
        assertEquals("ND4J backend CPU chosen because the NVIDIA driver is too old to report compute capabilities "
                + "(nvidia-smi has no compute_cap; drivers from 510 on have it)", BackendChoice.choose(null, true,
                answer(2, "Field \"compute_cap\" is not a valid field to query.\n")).line());
        assertEquals("ND4J backend CPU chosen because the NVIDIA driver reports no GPU this process can see",
                BackendChoice.choose(null, true, answer(0, "")).line());
        // one unsupported device among several: the backend would spread threads over all of them
        BackendChoice mixed = BackendChoice.choose(null, true,
                answer(0, "0, NVIDIA A100-SXM4-40GB, 8.0, 550.54\n1, NVIDIA H100 80GB HBM3, 9.0, 550.54\n"));
        assertEquals(Backend.CPU, mixed.backend());
        assertTrue(mixed.reason().startsWith("GPU 1 (NVIDIA H100 80GB HBM3, compute capability 9.0"), mixed.reason());
        assertTrue(mixed.reason().endsWith("; CUDA_VISIBLE_DEVICES can hide it"), mixed.reason());
    }

    @Test
    void theOverrideForcesEitherButNeverADeviceThatWouldFail() {
        AtomicInteger asked = new AtomicInteger();
        Supplier<GpuProbe> counting = () -> {
            asked.incrementAndGet();
            return RTX_A6000.get();
        };
        assertEquals("ND4J backend CPU chosen because jgan.backend=cpu", BackendChoice.choose("cpu", true, counting).line());
        assertEquals(0, asked.get(), "the driver is not asked when the CPU is forced");
        assertEquals(Backend.CUDA, BackendChoice.choose("CUDA", true, RTX_A6000).backend());
        // nvidia-smi missing but the driver's library there (a container): forced CUDA trusts the user
        BackendChoice trusted = BackendChoice.choose("cuda", true, NO_DRIVER, () -> true);
        assertEquals(Backend.CUDA, trusted.backend());
        assertEquals("jgan.backend=cuda (the driver could not be asked: no NVIDIA driver (nvidia-smi is not "
                + "installed))", trusted.reason());
        // neither: refused before ND4J is touched
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> BackendChoice.choose("cuda", true, NO_DRIVER, () -> false));
        assertEquals("jgan.backend=cuda, but there is no NVIDIA driver: no NVIDIA driver (nvidia-smi is not installed),"
                + " and no libcuda.so.1; expected an NVIDIA driver (docs/gpu.md)", none.getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackendChoice.choose("cuda", true, H200));
        assertTrue(e.getMessage().startsWith("jgan.backend=cuda, but GPU 0 (NVIDIA H200, compute capability 9.0"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("; expected GPUs of compute capability 3.7 to 8.9 (docs/gpu.md), or "
                + "jgan.backend=cpu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BackendChoice.choose("cuda", false, RTX_A6000));
        assertEquals("jgan.backend=cuda, but this runtime has no CUDA backend; expected the CUDA runtime (mvn -Pcuda, "
                + "docs/gpu.md)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BackendChoice.choose("gpu", true, RTX_A6000));
        assertEquals("jgan.backend is 'gpu'; expected auto, cpu or cuda", e.getMessage());
        assertEquals("ND4J backend CPU chosen because this runtime has no CUDA backend (the CUDA runtime is built with "
                + "mvn -Pcuda, docs/gpu.md)", BackendChoice.choose(null, false, counting).line());
        assertEquals(0, asked.get(), "nor when the runtime has no CUDA backend");
    }

    @Test
    void nvidiaSmiLinesAreParsedWithUnknownCapabilitiesKept() {
        GpuProbe p = GpuProbe.parse(0, "0, NVIDIA GeForce RTX 4090, 8.9, 550.54.14\n1, Tesla K80, [N/A], 470.82\n");
        assertEquals(null, p.problem());
        assertEquals(2, p.gpus().size());
        assertEquals(new GpuProbe.Gpu(0, "NVIDIA GeForce RTX 4090", 8, 9, "550.54.14"), p.gpus().get(0));
        assertEquals(-1, p.gpus().get(1).major());
        assertEquals("the driver does not report its compute capability",
                BackendChoice.unsupported(p.gpus().get(1)).replaceFirst("^.*\\): ", ""));
        assertEquals("nvidia-smi answered 'garbage'; expected index, name, compute capability, driver version",
                GpuProbe.parse(0, "garbage\n").problem());
    }

    /** nvidia-smi lists every GPU; a process sees those CUDA_VISIBLE_DEVICES names, and the choice is about those. */
    @Test
    void onlyTheGpusCudaVisibleDevicesNamesCount() {
        GpuProbe both = GpuProbe.parse(0, "0, NVIDIA A100-SXM4-40GB, 8.0, 550.54\n1, NVIDIA H100 80GB HBM3, 9.0, 550.54\n");
        assertEquals(2, both.visible(null).gpus().size(), "unset: all");
        GpuProbe a100 = both.visible("0");
        assertEquals(List.of(0), a100.gpus().stream().map(GpuProbe.Gpu::index).toList());
        assertEquals(Backend.CUDA, BackendChoice.choose(null, true, () -> a100).backend(), "the H100 hidden");
        assertEquals(List.of(1, 0), both.visible(" 1, 0 ").gpus().stream().map(GpuProbe.Gpu::index).toList(),
                "in the variable's order");
        assertEquals(List.of(), both.visible("").gpus(), "set but empty: none");
        assertEquals(List.of(), both.visible("-1").gpus(), "an invalid index ends the list");
        assertEquals(List.of(0), both.visible("0,7,1").gpus().stream().map(GpuProbe.Gpu::index).toList());
        assertEquals(2, both.visible("GPU-8f1a2b3c").gpus().size(), "UUIDs are not interpreted: every GPU stays");
    }

    /** The loader ND4J looks its backend up with shows only the chosen backend's service file. */
    @Test
    void theBackendLoaderShowsOnlyTheChosenBackend(@TempDir Path dir) throws IOException {
        Path cpu = Files.createDirectories(dir.resolve("cpu/META-INF/services"));
        Path cuda = Files.createDirectories(dir.resolve("cuda/META-INF/services"));
        Files.writeString(cpu.resolve("org.nd4j.linalg.factory.Nd4jBackend"), "# the CPU backend\n"
                + BackendLoader.CPU + "\n");
        Files.writeString(cuda.resolve("org.nd4j.linalg.factory.Nd4jBackend"), BackendLoader.CUDA + "\n");
        Files.writeString(cuda.resolve("other.Service"), "x.Y\n");
        try (URLClassLoader both = new URLClassLoader(new URL[] {dir.resolve("cpu/").toUri().toURL(),
                dir.resolve("cuda/").toUri().toURL()}, null)) {
            assertEquals(2, Collections.list(both.getResources(BackendLoader.SERVICE)).size());
            for (String chosen : List.of(BackendLoader.CPU, BackendLoader.CUDA)) {
                List<URL> seen = Collections.list(new BackendLoader(both, chosen).getResources(BackendLoader.SERVICE));
                assertEquals(1, seen.size(), chosen);
                assertTrue(seen.get(0).getPath().contains(chosen.equals(BackendLoader.CPU) ? "/cpu/" : "/cuda/"),
                        seen.get(0).toString());
            }
            assertEquals(1, Collections.list(new BackendLoader(both, BackendLoader.CPU)
                    .getResources("META-INF/services/other.Service")).size(), "other lookups unchanged");
        }
        assertFalse(BackendLoader.carriesCuda(getClass().getClassLoader()), "this build carries the CPU backend only");
    }
}
