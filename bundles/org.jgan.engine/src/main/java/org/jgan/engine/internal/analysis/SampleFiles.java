package org.jgan.engine.internal.analysis;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.jgan.engine.internal.folder.AtomicFile;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Writes generated samples from the run's fixed latent batch, so successive files are comparable. */
public final class SampleFiles {

    private SampleFiles() {
    }

    /** Vector data as CSV (one sample a row); image data as a PNG grid. */
    public static Path write(INDArray samples, Path dir, String prefix) throws IOException {
        if (samples.rank() == 4) {
            return ImageGrid.write(samples, dir.resolve(prefix + "-samples.png"));
        }
        INDArray flat = samples.reshape(samples.size(0), -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < flat.rows(); i++) {
            for (int j = 0; j < flat.columns(); j++) {
                sb.append(j == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6g", flat.getDouble(i, j)));
            }
            sb.append('\n');
        }
        Path file = dir.resolve(prefix + "-samples.csv");
        AtomicFile.write(file, sb.toString());
        return file;
    }
}
