package org.jgan.nd4j.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the NVIDIA driver reports about the machine's GPUs, asked through {@code nvidia-smi} (which every driver
 * installs): index, name, compute capability and driver version of each visible GPU, or why it could not tell (no
 * driver, a driver that does not answer, a driver too old to report compute capabilities).
 */
record GpuProbe(List<Gpu> gpus, String problem) {

    /** A GPU as the driver reports it; {@code major < 0} when the driver does not report the capability. */
    record Gpu(int index, String name, int major, int minor, String driver) {
        String capability() {
            return major < 0 ? "unknown" : major + "." + minor;
        }

        @Override
        public String toString() {
            return "GPU " + index + " (" + name + ", compute capability " + capability() + ", driver " + driver + ")";
        }
    }

    static final String QUERY = "--query-gpu=index,name,compute_cap,driver_version";

    /** Where NVIDIA drivers install their CUDA library, beside the folders of LD_LIBRARY_PATH. */
    private static final List<String> DRIVER_FOLDERS = List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
            "/usr/local/nvidia/lib64", "/usr/lib/wsl/lib");

    /** Whether the driver's CUDA library ({@code libcuda.so.1}) is installed where the CUDA runtime looks for it. */
    static boolean driverLibrary() {
        List<String> folders = new ArrayList<>(DRIVER_FOLDERS);
        String path = System.getenv("LD_LIBRARY_PATH");
        if (path != null) {
            folders.addAll(List.of(path.split(":")));
        }
        return folders.stream().filter(f -> !f.isBlank())
                .anyMatch(f -> java.nio.file.Files.exists(java.nio.file.Path.of(f, "libcuda.so.1")));
    }

    /** Asks {@code nvidia-smi}, waiting at most {@code seconds}. */
    static GpuProbe nvidiaSmi(int seconds) {
        Process p;
        try {
            p = new ProcessBuilder("nvidia-smi", QUERY, "--format=csv,noheader").redirectErrorStream(true).start();
        } catch (IOException e) {
            return new GpuProbe(List.of(), "no NVIDIA driver (nvidia-smi is not installed)");
        }
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new GpuProbe(List.of(), "the NVIDIA driver did not answer within " + seconds
                        + " s (nvidia-smi)");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return parse(p.exitValue(), out).visible(System.getenv("CUDA_VISIBLE_DEVICES"));
        } catch (IOException e) {
            return new GpuProbe(List.of(), "nvidia-smi could not be read: " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new GpuProbe(List.of(), "interrupted while asking nvidia-smi");
        }
    }

    /**
     * The GPUs a process started with {@code CUDA_VISIBLE_DEVICES} sees (nvidia-smi lists all of them): those whose
     * index the variable names; unset, all; set but empty or naming no index ({@code -1}), none. Entries that are not
     * indices (GPU UUIDs, MIG instances) are not interpreted: then every GPU stays, the careful answer.
     */
    GpuProbe visible(String cudaVisibleDevices) {
        if (cudaVisibleDevices == null || problem != null) {
            return this;
        }
        List<String> entries = java.util.Arrays.stream(cudaVisibleDevices.split(",")).map(String::strip)
                .filter(e -> !e.isEmpty()).toList();
        if (!entries.stream().allMatch(e -> e.matches("-?\\d+"))) {
            return this;
        }
        List<Gpu> kept = new ArrayList<>();
        // CUDA stops at the first invalid index
        for (String e : entries) {
            int index = Integer.parseInt(e);
            Gpu g = gpus.stream().filter(x -> x.index() == index).findFirst().orElse(null);
            if (g == null) {
                break;
            }
            kept.add(g);
        }
        return new GpuProbe(List.copyOf(kept), null);
    }

    /**
     * Parses the output of {@code nvidia-smi --query-gpu=index,name,compute_cap,driver_version --format=csv,noheader}
     * with its exit status: one line per GPU, e.g. {@code 0, NVIDIA A100-SXM4-40GB, 8.0, 535.104.05}.
     */
    static GpuProbe parse(int exit, String output) {
        String text = output == null ? "" : output.strip();
        String first = text.lines().findFirst().orElse("").strip();
        if (exit != 0) {
            if (first.contains("compute_cap") && first.contains("not a valid field")) {
                return new GpuProbe(List.of(), "the NVIDIA driver is too old to report compute capabilities "
                        + "(nvidia-smi has no compute_cap; drivers from 510 on have it)");
            }
            return new GpuProbe(List.of(), "the NVIDIA driver does not work (nvidia-smi exited with status " + exit
                    + (first.isEmpty() ? "" : ": " + first) + ")");
        }
        List<Gpu> gpus = new ArrayList<>();
        for (String line : text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList()) {
            String[] f = line.split("\\s*,\\s*");
            if (f.length != 4) {
                return new GpuProbe(List.of(), "nvidia-smi answered '" + line + "'; expected index, name, compute "
                        + "capability, driver version");
            }
            try {
                int major = -1;
                int minor = -1;
                if (f[2].matches("\\d+\\.\\d+")) {
                    major = Integer.parseInt(f[2].substring(0, f[2].indexOf('.')));
                    minor = Integer.parseInt(f[2].substring(f[2].indexOf('.') + 1));
                }
                gpus.add(new Gpu(Integer.parseInt(f[0]), f[1], major, minor, f[3]));
            } catch (NumberFormatException e) {
                return new GpuProbe(List.of(), "nvidia-smi answered '" + line + "'; expected index, name, compute "
                        + "capability, driver version");
            }
        }
        return new GpuProbe(List.copyOf(gpus), null);
    }
}
