"""Runtime resources: "what to notice" texts, the style sheet, icons."""
