package org.jgan.api.dto;

import org.osgi.dto.DTO;

/** One option of a component. */
public class OptionDTO extends DTO {
    public String name;
    public String type;
    public String defaultValue;
    /** Accepted values in words, e.g. "a number in [0, 1]". */
    public String expected;
    public String description;
}
