"""Polish translations of the report, written into report_templates/locales/pl (run after
`pybabel extract`; see the README's "Translations" section)."""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

PL = {
    "Page": "Strona",
    "of": "z",
    "Prepared by": "Przygotował(a)",
    "Date": "Data",
    "Period compared": "Porównywany okres",
    "Executive summary": "Podsumowanie dla zarządu",
    "Return on investment over %(months)s months": "Zwrot z inwestycji w ciągu %(months)s miesięcy",
    "Net value": "Wartość netto",
    "payback": "zwrot nakładów",
    "Results by KPI": "Wyniki według wskaźników",
    "Goal": "Cel",
    "Deadline": "Termin",
    "Status": "Status",
    "There is no control group: these results compare the same units before and after the "
    "rollout, which cannot separate the product from seasonality or other changes. Read them "
    "as weaker evidence.":
        "Brak grupy kontrolnej: wyniki porównują te same jednostki przed wdrożeniem i po nim, "
        "co nie pozwala oddzielić wpływu produktu od sezonowości ani innych zmian. Należy je "
        "traktować jako słabszy dowód.",
    "KPI": "Wskaźnik",
    "Agreed on": "Data uzgodnienia",
    "with confidence": "z pewnością statystyczną",
    "Goals are judged at the report date. Achieved: the estimate reaches the target and the "
    "improvement is statistically significant. On track: a significant improvement whose trend "
    "reaches the target by the deadline. At risk: the deadline is ahead, but the KPI got worse, "
    "falls short for sure, or its trend does not reach the target in time. Not achieved: the "
    "deadline has passed without the target being reached and shown. Inconclusive: the deadline "
    "is ahead and the data cannot yet tell.":
        "Cele oceniamy na dzień raportu. Osiągnięty: oszacowanie osiąga cel, a poprawa jest "
        "istotna statystycznie. Na dobrej drodze: istotna poprawa, której trend osiągnie cel "
        "przed terminem. Zagrożony: termin jeszcze nie minął, ale wskaźnik się pogorszył, na "
        "pewno nie sięga celu albo jego trend nie osiągnie celu na czas. Nieosiągnięty: termin "
        "minął, a osiągnięcia celu nie wykazano. Nierozstrzygnięty: termin jeszcze nie minął, a "
        "dane nie pozwalają tego rozstrzygnąć.",
    "Outcome": "Wynik",
    "Trend of %(kpi)s, before and after the rollout": "Przebieg: %(kpi)s przed wdrożeniem i po nim",
    "Return on investment": "Zwrot z inwestycji",
    "Projected benefit %(benefit)s, cost %(cost)s, net %(net)s over %(months)s months; payback "
    "%(payback)s.":
        "Prognozowana korzyść %(benefit)s, koszt %(cost)s, netto %(net)s w ciągu %(months)s "
        "miesięcy; zwrot nakładów: %(payback)s.",
    "%(back)s back for every %(one)s spent": "każdy wydany %(one)s przynosi %(back)s",
    "Measured %(start)s – %(end)s: %(benefit)s of benefit against %(cost)s of cost so far. The "
    "%(months)s-month figures are a projection at the measured effects.":
        "W mierzonym okresie %(start)s – %(end)s: %(benefit)s korzyści wobec %(cost)s kosztów. "
        "Kwoty za %(months)s miesięcy to prognoza przy zmierzonych efektach.",
    "Benefits and costs": "Korzyści i koszty",
    "Benefit": "Korzyść",
    "Volume per month": "Wolumen miesięcznie",
    "Value per unit": "Wartość jednostkowa",
    "Estimate": "Oszacowanie",
    "Low": "Dolne",
    "High": "Górne",
    "Total benefit": "Korzyść łącznie",
    "Cost": "Koszt",
    "Basis": "Podstawa",
    "Over %(months)s months": "W ciągu %(months)s miesięcy",
    "Total cost": "Koszt łącznie",
    "ROI = (benefit − cost) / cost. The range recomputes every benefit at the low and at the "
    "high end of its 95%% confidence interval. The conservative figure counts an improvement "
    "only where it is statistically significant (items marked * are left out of it); a KPI "
    "that got worse always counts against the benefit.":
        "ROI = (korzyść − koszt) / koszt. Zakres przelicza każdą korzyść na dolnym i górnym "
        "krańcu jej 95%% przedziału ufności. Wartość ostrożna liczy poprawę tylko tam, gdzie "
        "jest istotna statystycznie (pozycje oznaczone * są w niej pominięte); wskaźnik, który "
        "się pogorszył, zawsze pomniejsza korzyść.",
    "What did not work, and the plan": "Co nie zadziałało i plan działań",
    "Action": "Działanie",
    "Owner": "Odpowiedzialny",
    "By": "Termin",
    "Every KPI improved and every goal is achieved or on track.":
        "Wszystkie wskaźniki się poprawiły, a każdy cel jest osiągnięty lub na dobrej drodze.",
    "Goals for next quarter": "Cele na kolejny kwartał",
    "Appendix": "Załącznik",
    "How these results were measured": "Jak zmierzono te wyniki",
    "The product was rolled out to one group of units (%(treatment)s) and not to another "
    "(%(control)s). Both groups are compared before and after the rollout. The change in the "
    "comparison group shows what would most likely have happened without the product "
    "(seasonality, market changes, other initiatives); the effect is the extra change in the "
    "group with the product. This method is called difference-in-differences.":
        "Produkt wdrożono w jednej grupie jednostek (%(treatment)s), a w drugiej nie "
        "(%(control)s). Obie grupy porównujemy przed wdrożeniem i po nim. Zmiana w grupie "
        "porównawczej pokazuje, co najpewniej stałoby się bez produktu (sezonowość, zmiany "
        "rynkowe, inne inicjatywy); efekt to dodatkowa zmiana w grupie z produktem. Ta metoda "
        "nazywa się różnicą w różnicach (difference-in-differences).",
    "The product was rolled out to all units studied, so there is no comparison group. The "
    "effect is the change after the rollout compared with before it; it cannot be separated "
    "from seasonality or other changes at the same time.":
        "Produkt wdrożono we wszystkich badanych jednostkach, więc nie ma grupy porównawczej. "
        "Efekt to zmiana po wdrożeniu w porównaniu z okresem przed nim; nie da się go oddzielić "
        "od sezonowości ani innych jednoczesnych zmian.",
    "Each unit is compared with itself before and after the rollout (unit and period fixed "
    "effects), so units that join or leave cannot create an effect. Averages count every "
    "observation once (rates pool all observations), and counts are per unit and period. "
    "Uncertainty is measured with %(se)s standard errors (clustering by unit, the default, "
    "allows for a unit resembling itself over time). A change is called significant when its "
    "p-value, adjusted for testing several KPIs at once (%(correction)s), is below %(alpha)s. "
    "The groups were not necessarily assigned at random; the pre-trend check tests whether they "
    "moved alike before the rollout.":
        "Każdą jednostkę porównujemy z nią samą przed wdrożeniem i po nim (efekty stałe "
        "jednostek i okresów), więc jednostki, które dołączają lub odchodzą, nie mogą wytworzyć "
        "efektu. Średnie liczą każdą obserwację raz (wskaźniki procentowe łączą wszystkie "
        "obserwacje), a liczebności podajemy na jednostkę i okres. Niepewność mierzymy "
        "odpornymi błędami standardowymi (%(se)s; domyślne grupowanie według jednostek "
        "uwzględnia to, że jednostka jest podobna do siebie w czasie). Zmianę nazywamy istotną, "
        "gdy jej wartość p, skorygowana na testowanie kilku wskaźników naraz (%(correction)s), "
        "jest mniejsza niż %(alpha)s. Grupy nie musiały być przydzielone losowo; test trendów "
        "sprzed wdrożenia sprawdza, czy zmieniały się podobnie przed wdrożeniem.",
    "As robustness checks, each KPI is also tested with a Welch t-test and a rank test on the "
    "change of every unit, and with a permutation test that reassigns the product at random "
    "%(draws)s times (seed %(seed)s).":
        "Dla sprawdzenia odporności każdy wskaźnik testujemy też testem t Welcha i testem "
        "rangowym na zmianach poszczególnych jednostek oraz testem permutacyjnym, który "
        "%(draws)s razy losowo przypisuje produkt od nowa (ziarno %(seed)s).",
    "Robustness checks": "Testy odporności",
    "Main test p": "p testu głównego",
    "Welch p": "p Welcha",
    "Rank test p": "p testu rangowego",
    "Permutation p": "p permutacyjne",
    "Pre-trend check": "Trendy przed wdrożeniem",
    "Event studies": "Analiza zdarzeń (event study)",
    "Gap between the groups in each period, relative to their average gap before the rollout, "
    "with 95%% intervals. Before the rollout (grey) the points should scatter around zero; after "
    "it (colour) they show the effect building up. The dashed line is the headline effect: in a "
    "balanced panel it is the average of the points after the rollout.":
        "Różnica między grupami w każdym okresie względem ich średniej różnicy sprzed wdrożenia, "
        "z 95%% przedziałami. Przed wdrożeniem (szare) punkty powinny rozkładać się wokół zera; "
        "po nim (kolor) pokazują narastanie efektu. Linia przerywana to efekt główny: w "
        "zrównoważonym panelu jest średnią punktów po wdrożeniu.",
    "Event study of %(kpi)s": "Analiza zdarzeń: %(kpi)s",
    "Data quality": "Jakość danych",
    "No data-quality problems were found.": "Nie znaleziono problemów z jakością danych.",
    "Reproducibility": "Odtwarzalność",
    "Tool": "Narzędzie",
    "Experiment definition (SHA-256)": "Definicja eksperymentu (SHA-256)",
    "Data fingerprint (SHA-256)": "Odcisk danych (SHA-256)",
    "The same definition and data always give the same report.":
        "Ta sama definicja i te same dane zawsze dają ten sam raport.",
    "Achieved": "Osiągnięty",
    "On track": "Na dobrej drodze",
    "At risk": "Zagrożony",
    "Not achieved": "Nieosiągnięty",
    "Inconclusive": "Nierozstrzygnięty",
    "Improved": "Poprawa",
    "Got worse": "Pogorszenie",
    "fell": "spadek",
    "rose": "wzrost",
    "An improvement: the change is larger than chance would explain.":
        "Poprawa: zmiana jest większa, niż mógłby wyjaśnić przypadek.",
    "A deterioration: the change went the wrong way, and by more than chance would explain.":
        "Pogorszenie: zmiana poszła w złą stronę i jest większa, niż mógłby wyjaśnić przypadek.",
    "The check would have noticed a difference in trends of about %(size)s per %(period)s.":
        "Test wychwyciłby różnicę trendów rzędu %(size)s na okres (%(period)s).",
    "there is no control group": "brak grupy kontrolnej",
    "too few periods or units before the rollout": "za mało okresów lub jednostek przed wdrożeniem",
    "The pre-trend check could not be run: %(why)s.":
        "Nie można było wykonać testu trendów: %(why)s.",
    "Rollout": "Wdrożenie",
    "log points": "punkty log.",
    "Gap vs before": "Różnica wzgl. okresu przed",
    "Before": "Przed",
    "After": "Po",
    "Over %(months)s months (%(currency)s)": "W ciągu %(months)s miesięcy (%(currency)s)",
    "not within reach at the measured effects": "nieosiągalny przy zmierzonych efektach",
    "within the first month": "w pierwszym miesiącu",
    "%(months)s months": "%(months)s mies.",
    "conservative %(value)s": "ostrożnie %(value)s",
    "one-off": "jednorazowo",
    "%(amount)s per %(period)s": "%(amount)s / %(period)s",
    "day": "dzień",
    "week": "tydzień",
    "month": "miesiąc",
    "quarter": "kwartał",
    "year": "rok",
    "%(rows)s rows are exact duplicates of another row; they were kept.":
        "Wiersze będące dokładnymi duplikatami innych: %(rows)s; pozostawiono je.",
    "%(rows)s rows have no value in column %(column)s and were not used.":
        "Wiersze bez wartości w kolumnie %(column)s: %(rows)s; nie zostały użyte.",
    "%(units)s units (%(rows)s rows) belong to neither group and were not used.":
        "Jednostki spoza obu grup: %(units)s (wiersze: %(rows)s); nie zostały użyte.",
    "%(units)s units appear in both groups and were not used (%(examples)s).":
        "Jednostki występujące w obu grupach: %(units)s (%(examples)s); nie zostały użyte.",
    "%(rows)s rows fall outside the compared periods and were not used.":
        "Wiersze spoza porównywanych okresów: %(rows)s; nie zostały użyte.",
    "%(units)s units were seen only before or only after the rollout.":
        "Jednostki obserwowane tylko przed wdrożeniem albo tylko po nim: %(units)s.",
    "Only %(units)s units in the group %(group)s: estimates are fragile.":
        "Liczba jednostek w grupie %(group)s to tylko %(units)s: oszacowania są niepewne.",
    "with the product": "z produktem",
    "for comparison": "porównawczej",
    "%(kpi)s: %(rows)s observations (%(share)s) have no value and were left out.":
        "%(kpi)s: obserwacje bez wartości: %(rows)s (%(share)s); pominięto je.",
    "Column %(column)s has %(rows)s negative values in a KPI that adds values up; they were used "
    "as they are.":
        "Kolumna %(column)s zawiera wartości ujemne (%(rows)s) we wskaźniku sumującym wartości; "
        "użyto ich bez zmian.",
    "%(sets)s sets of rows agree on everything but the KPI values, which differ; all were kept.":
        "Zestawy wierszy zgodnych we wszystkim poza różniącymi się wartościami wskaźników: "
        "%(sets)s; pozostawiono wszystkie.",
    "No control group: a before/after comparison only, which cannot separate the product from "
    "seasonality or other changes.":
        "Brak grupy kontrolnej: tylko porównanie przed i po, które nie oddziela wpływu produktu "
        "od sezonowości ani innych zmian.",
    "So few units are in a group that the usual standard errors are unreliable; the p-value "
    "and interval shown come from the permutation test.":
        "W jednej z grup jest tak mało jednostek, że zwykłe błędy standardowe są niewiarygodne; "
        "wartość p i przedział pochodzą z testu permutacyjnego.",
    "Only %(units)s units in the group %(group)s: treat the interval with caution.":
        "Liczba jednostek w grupie %(group)s to tylko %(units)s: przedział należy traktować "
        "ostrożnie.",
    "Units with the product": "Jednostki z produktem",
    "comparison units": "jednostki porównawcze",
    "Quarterly Business Review": "Kwartalny przegląd biznesowy",
    "%(pre_start)s – %(pre_end)s before and %(post_start)s – %(post_end)s after the rollout on "
    "%(rollout)s":
        "%(pre_start)s – %(pre_end)s przed wdrożeniem i %(post_start)s – %(post_end)s po "
        "wdrożeniu (%(rollout)s)",
    "heteroskedasticity-robust (HC1)": "odporne na heteroskedastyczność (HC1)",
    "classical (iid)": "klasyczne (iid)",
    "no correction": "bez korekty",
    "Projected over %(months)s months at the measured effects, the return on investment is "
    "%(roi)s (%(range)s): %(ratio)s.":
        "W prognozie na %(months)s miesięcy przy zmierzonych efektach zwrot z inwestycji wynosi "
        "%(roi)s (%(range)s): %(ratio)s.",
    "none detected": "nie wykryto",
    "detected": "wykryto",
    "not testable": "nie do sprawdzenia",
    "The shaded period is split by the rollout; it is shown but not used in the estimate.":
        "Zacieniony okres jest przecięty datą wdrożenia; pokazujemy go, ale nie wchodzi do "
        "oszacowania.",
    "Measured per observation%(name)s: each one counts once, so busier units weigh more.":
        "Efekt liczony na jedną obserwację%(name)s: każda liczy się raz, więc bardziej aktywne "
        "jednostki ważą więcej.",
    "Measured as a pooled rate: all of a group's observations%(name)s together, so each one "
    "counts once.":
        "Efekt liczony na łącznym wskaźniku: wszystkie obserwacje grupy%(name)s razem, więc "
        "każda liczy się raz.",
    "Measured per unit%(name)s and %(period)s: each unit counts once in every %(period)s, and a "
    "%(period)s without activity counts as zero.":
        "Efekt liczony na jednostkę%(name)s i okres (%(period)s): każda jednostka liczy się raz "
        "w każdym okresie, a okres bez aktywności liczy się jako zero.",
    "Measured per unit%(name)s and %(period)s: each unit counts once in every %(period)s.":
        "Efekt liczony na jednostkę%(name)s i okres (%(period)s): każda jednostka liczy się raz "
        "w każdym okresie.",
    "cluster-robust (by unit, CR2 with small-sample degrees of freedom)":
        "grupowane według jednostek, CR2 z poprawką stopni swobody dla małych prób",
    "cluster-robust (by unit, CR1)": "grupowane według jednostek, CR1",
    "not estimable": "nie do oszacowania",
    "Its 95%% interval alone excludes zero, but with %(k)s KPIs tested at once the adjusted "
    "p-value (%(p)s) is not below %(alpha)s, so the change is not called significant.":
        "Sam 95%% przedział nie obejmuje zera, ale przy jednoczesnym testowaniu wskaźników "
        "(%(k)s) skorygowana wartość p (%(p)s) nie jest mniejsza niż %(alpha)s, więc zmiany nie "
        "uznajemy za istotną.",
    "Not detectable with this design: with %(n)s units with the product, no effect however "
    "large could reach significance (the smallest possible p-value is %(p)s).":
        "Niewykrywalne w tym układzie: przy liczbie jednostek z produktem równej %(n)s żaden "
        "efekt, nawet bardzo duży, nie mógłby okazać się istotny (najmniejsza możliwa wartość p "
        "to %(p)s).",
    # A rollout in waves
    "Effect of the product on %(kpi)s by time since rollout":
        "Efekt produktu: %(kpi)s w zależności od czasu od wdrożenia",
    "Rollout waves": "Fale wdrożenia",
    "Wave": "Fala",
    "First rollout": "Pierwsze wdrożenie",
    "Units": "Jednostki",
    "Other ways to average the effects": "Inne sposoby uśredniania efektów",
    "%(units)s units": "jednostki: %(units)s",
    "With the product: before and after each unit's own rollout; comparison: before and after "
    "the first wave.":
        "Z produktem: przed własnym wdrożeniem każdej jednostki i po nim; grupa porównawcza: "
        "przed pierwszą falą i po niej.",
    "period": "okres",
    "%(units)s units (%(rows)s rows) are not in the rollout file and were not used.":
        "Jednostek spoza pliku wdrożeń: %(units)s (wiersze: %(rows)s); nie zostały użyte.",
    "%(units)s units got the product only after the data end; they count as not yet treated "
    "throughout.":
        "Jednostki, które dostały produkt dopiero po końcu danych: %(units)s; przez cały okres "
        "liczą się jako jeszcze bez produktu.",
    "periods": "okresy",
    "days": "dni",
    "weeks": "tygodnie",
    "months": "miesiące",
    "quarters": "kwartały",
    "Periods since rollout": "Okresy od wdrożenia",
    "Days since rollout": "Dni od wdrożenia",
    "Weeks since rollout": "Tygodnie od wdrożenia",
    "Months since rollout": "Miesiące od wdrożenia",
    "Quarters since rollout": "Kwartały od wdrożenia",
    "Wave %(number)s": "Fala %(number)s",
    "one rollout wave, from %(date)s": "jedna fala wdrożenia, od %(date)s",
    "rollouts in %(n)s waves from %(first)s to %(last)s":
        "wdrożenie w %(n)s falach od %(first)s do %(last)s",
    "%(start)s – %(end)s; %(rollouts)s": "%(start)s – %(end)s; %(rollouts)s",
    "Each wave is compared with the %(units)s units that never got it (%(control)s) and with "
    "the waves that did not have it yet at the time.":
        "Każdą falę porównujemy z jednostkami, które nigdy go nie dostały (%(control)s; "
        "liczba: %(units)s), oraz z falami, które w danym czasie jeszcze go nie miały.",
    "Each wave is compared with the %(units)s units that never got it (%(control)s).":
        "Każdą falę porównujemy z jednostkami, które nigdy go nie dostały (%(control)s; "
        "liczba: %(units)s).",
    "The product reached %(units)s units in one wave, from %(date)s.":
        "Produkt trafił do jednostek (liczba: %(units)s) w jednej fali, od %(date)s.",
    "The product reached %(units)s units in %(n)s waves, from %(first)s to %(last)s.":
        "Produkt trafił do jednostek (liczba: %(units)s) w %(n)s falach, od %(first)s do "
        "%(last)s.",
    "The average effect across waves is each wave's average effect over the %(periods)s since "
    "its own rollout, averaged over the %(n)s waves weighted by their number of units%(unit)s: "
    "%(sizes)s.":
        "Średni efekt dla fal to średnia z efektów poszczególnych fal (każdy uśredniony po "
        "okresach od jej własnego wdrożenia: %(periods)s), ważona liczbą jednostek%(unit)s w "
        "każdej z %(n)s fal: %(sizes)s.",
    "never treated; the later waves also count as comparison until their own rollout":
        "nigdy bez produktu; późniejsze fale też służą do porównania aż do własnego wdrożenia",
    "never treated": "nigdy bez produktu",
    "Each wave is compared with the waves that did not have it yet at the time.":
        "Każdą falę porównujemy z falami, które w danym czasie jeszcze go nie miały.",
    "no unit is never treated: the later waves are the comparison until their own rollout":
        "każda jednostka dostała produkt: do porównania służą późniejsze fale aż do własnego "
        "wdrożenia",
    "First period with the product": "Pierwszy okres z produktem",
    "First day with the product": "Pierwszy dzień z produktem",
    "First week with the product": "Pierwszy tydzień z produktem",
    "First month with the product": "Pierwszy miesiąc z produktem",
    "First quarter with the product": "Pierwszy kwartał z produktem",
    "Periods with the product in the data": "Okresy z produktem w danych",
    "Days with the product in the data": "Dni z produktem w danych",
    "Weeks with the product in the data": "Tygodnie z produktem w danych",
    "Months with the product in the data": "Miesiące z produktem w danych",
    "Quarters with the product in the data": "Kwartały z produktem w danych",
    "Comparison: %(group)s": "Grupa porównawcza: %(group)s",
    "Comparison units": "Jednostki porównawcze",
    "Effect": "Efekt",
    "Average across waves": "Średnio dla fal",
    "The effect in each %(period)s since the waves' own rollouts (0 = the first %(period)s with "
    "the product): how far the waves' KPI moved compared with %(control)s.":
        "Efekt w kolejnych okresach (%(period)s) od własnego wdrożenia każdej fali (0 = pierwszy "
        "okres z produktem): o ile wskaźnik fal zmienił się w porównaniu z grupą: %(control)s.",
    "Before the rollout (grey, open circles) each point compares a %(period)s with the one "
    "before it, so they should scatter around zero.":
        "Przed wdrożeniem (szare, puste kółka) każdy punkt porównuje okres (%(period)s) z "
        "poprzednim, więc punkty powinny rozkładać się wokół zera.",
    "Before the rollout (grey, open circles) each point compares a %(period)s with the last one "
    "before the rollout, so they should scatter around zero.":
        "Przed wdrożeniem (szare, puste kółka) każdy punkt porównuje okres (%(period)s) z "
        "ostatnim okresem przed wdrożeniem, więc punkty powinny rozkładać się wokół zera.",
    "The dashed line is the average effect across waves; far from the rollout fewer waves "
    "contribute, so those points are less precise.":
        "Linia przerywana to średni efekt dla fal; daleko od wdrożenia wkład ma mniej fal, więc "
        "te punkty są mniej precyzyjne.",
    "Effect of the product in each wave and %(period)s since its rollout (0 = its first "
    "%(period)s with the product), with 95%% intervals, in the KPI's unit; the last row is each "
    "wave's own average. Only the %(periods)s after each rollout are shown; the %(periods)s "
    "before it are in the charts, and every value is in the results JSON (group_time).":
        "Efekt produktu w każdej fali i w każdym okresie (%(period)s) od jej wdrożenia (0 = "
        "pierwszy okres z produktem), z 95%% przedziałami, w jednostkach wskaźnika; ostatni "
        "wiersz to średnia danej fali. Pokazujemy tylko okresy po wdrożeniu; okresy przed nim są "
        "na wykresach, a wszystkie wartości w wynikach JSON (group_time).",
    "To keep the tables short, one row in %(step)s is shown.":
        "Aby tabele były krótkie, pokazujemy co %(step)s. wiersz.",
    "By calendar period": "Według okresu kalendarzowego",
    "By calendar day": "Według dnia kalendarzowego",
    "By calendar week": "Według tygodnia kalendarzowego",
    "By calendar month": "Według miesiąca kalendarzowego",
    "By calendar quarter": "Według kwartału kalendarzowego",
    "Headline: by wave": "Główny wynik: według fal",
    "All wave-periods alike": "Wszystkie okresy fal jednakowo",
    "By time since rollout": "Według czasu od wdrożenia",
    "%(wave)s (from %(start)s) has only %(units)s units: too small to say anything on its own; "
    "it counts in the average across waves by its size.":
        "%(wave)s (od %(start)s) ma tylko tyle jednostek: %(units)s – za mało, by sama o czymś "
        "świadczyła; do średniej dla fal wchodzi z wagą swojej wielkości.",
    "the units that did not have the product yet at the time (%(control)s, and the later waves "
    "until their own rollout)":
        "jednostkami, które w danym czasie jeszcze nie miały produktu (%(control)s oraz "
        "późniejsze fale aż do własnego wdrożenia)",
    "the units that never got the product (%(control)s)":
        "jednostkami, które nigdy nie dostały produktu (%(control)s)",
    "The product was rolled out in %(n)s waves, one group of units after another "
    "(%(treatment)s). Each wave is compared with %(comparison)s over the same %(periods)s: the "
    "wave's change since the last %(period)s before its own rollout, minus the comparison units' "
    "change over the same %(periods)s. This gives one effect for every wave and %(period)s (the "
    "group-time effects of Callaway and Sant'Anna, ATT(g,t)). A wave is never compared with "
    "waves that already have the product, so an effect that builds up over time cannot distort "
    "the result, as it can in an ordinary regression over waves.":
        "Produkt wdrażano w %(n)s falach, jedna grupa jednostek po drugiej (%(treatment)s). "
        "Każdą falę porównujemy z %(comparison)s w tych samych okresach (%(periods)s): zmiana "
        "fali od ostatniego okresu przed jej własnym wdrożeniem minus zmiana jednostek "
        "porównawczych w tych samych okresach. Daje to jeden efekt dla każdej fali i każdego "
        "okresu (efekty grupa-czas Callawaya i Sant'Anny, ATT(g,t)). Fali nigdy nie porównujemy "
        "z falami, które już mają produkt, więc efekt narastający z czasem nie może zniekształcić "
        "wyniku, jak w zwykłej regresji na falach.",
    "The headline effect of each KPI is the average across waves: each wave's average effect "
    "over the %(periods)s since its rollout, averaged over the waves weighted by their number "
    "of units. Averages count every observation once (rates pool all observations), and counts "
    "are per unit and %(period)s. Uncertainty comes from each unit's influence on the "
    "estimates, clustered by unit (so a unit resembling itself over time is allowed for), with "
    "a t distribution on %(df)s degrees of freedom (the units of the smaller group minus one). "
    "A change is called significant when its p-value, adjusted for testing several KPIs at once "
    "(%(correction)s), is below %(alpha)s. The waves were not necessarily chosen at random; the "
    "pre-trend check tests whether they moved like the comparison units before their rollouts.":
        "Główny efekt każdego wskaźnika to średnia dla fal: średni efekt każdej fali w okresach "
        "od jej wdrożenia (%(periods)s), uśredniony z wagą liczby jednostek w fali. Średnie "
        "liczą każdą obserwację raz (wskaźniki procentowe łączą wszystkie obserwacje), a liczby "
        "zdarzeń są liczone na jednostkę i okres (%(period)s). Niepewność wynika z wpływu każdej "
        "jednostki na oszacowania, grupowanego według jednostek (dopuszcza to podobieństwo "
        "jednostki do samej siebie w czasie), z rozkładem t o %(df)s stopniach swobody (liczba "
        "jednostek mniejszej grupy minus jeden). Zmianę uznajemy za istotną, gdy jej wartość p, "
        "skorygowana na testowanie wielu wskaźników naraz (%(correction)s), jest mniejsza niż "
        "%(alpha)s. Fale nie musiały być wybrane losowo; test trendów przed wdrożeniem sprawdza, "
        "czy przed swoimi wdrożeniami zmieniały się tak jak jednostki porównawcze.",
    "The bars in the charts of the effect by time since rollout are simultaneous 95%% bands: "
    "%(draws)s multiplier-bootstrap draws (seed %(seed)s) widen them so that together they "
    "cover every point's true value with 95%% probability.":
        "Odcinki na wykresach efektu według czasu od wdrożenia to łączne 95%% pasma: %(draws)s "
        "losowań bootstrapu mnożnikowego (ziarno %(seed)s) poszerza je tak, by razem obejmowały "
        "prawdziwe wartości wszystkich punktów z prawdopodobieństwem 95%%.",
    "The bars in the charts of the effect by time since rollout are pointwise 95%% intervals: "
    "each covers its own point's true value with 95%% probability, not all of them at once.":
        "Odcinki na wykresach efektu według czasu od wdrożenia to punktowe 95%% przedziały: "
        "każdy obejmuje prawdziwą wartość swojego punktu z prawdopodobieństwem 95%%, ale nie "
        "wszystkie naraz.",
    "With so few units, the p-value and interval of %(kpis)s come from a permutation test "
    "instead: the rollout dates are reassigned at random across units %(draws)s times (seed "
    "%(seed)s), keeping the waves' sizes.":
        "Przy tak małej liczbie jednostek wartość p i przedział dla wskaźników (%(kpis)s) "
        "pochodzą z testu permutacyjnego: daty wdrożeń są losowo przypisywane jednostkom "
        "%(draws)s razy (ziarno %(seed)s), z zachowaniem wielkości fal.",
    "The same effects of every wave and %(period)s can be averaged in other ways. The headline "
    "weighs each wave by its number of units; “all wave-periods alike” weighs every wave and "
    "%(period)s after its rollout by the wave's size; “by time since rollout” first averages "
    "the waves at each %(period)s since rollout, then those %(periods)s; the calendar average "
    "first averages each calendar %(period)s. When they agree, the headline does not hinge on "
    "how the waves are weighed. Each with its 95%% interval.":
        "Te same efekty każdej fali i okresu (%(period)s) można uśrednić inaczej. Główny wynik "
        "waży każdą falę liczbą jej jednostek; „wszystkie okresy fal jednakowo” waży każdy okres "
        "fali po wdrożeniu wielkością fali; „według czasu od wdrożenia” najpierw uśrednia fale w "
        "każdym okresie od wdrożenia, potem te okresy; średnia kalendarzowa najpierw uśrednia "
        "każdy okres kalendarzowy. Gdy wyniki są zgodne, główny wynik nie zależy od sposobu "
        "ważenia fal. Każdy z 95%% przedziałem.",
    "Effect by wave and %(period)s": "Efekt według fali i okresu (%(period)s)",
    "Average since rollout": "Średnio od wdrożenia",
    # Pages 1-2 carry the story; plain language on the main pages; the plan per KPI
    "How to read this report": "Jak czytać ten raport",
    "The product reached the units in waves. Each wave is compared over the same time with "
    "units that did not have the product yet: the extra change in the wave since its rollout is "
    "the effect of the product.":
        "Produkt trafiał do jednostek falami. Każdą falę porównujemy w tym samym czasie z "
        "jednostkami, które jeszcze nie miały produktu: dodatkowa zmiana w fali od jej wdrożenia "
        "to efekt produktu.",
    "Units with the product are compared with comparable units without it, before and after the "
    "rollout: the extra change in the group with the product is its effect. The change in the "
    "comparison group shows what would have happened anyway.":
        "Jednostki z produktem porównujemy z podobnymi jednostkami bez niego, przed wdrożeniem i "
        "po nim: dodatkowa zmiana w grupie z produktem to jego efekt. Zmiana w grupie "
        "porównawczej pokazuje, co stałoby się i tak.",
    "Without a comparison group, the results compare the same units before and after the "
    "rollout.":
        "Bez grupy porównawczej wyniki porównują te same jednostki przed wdrożeniem i po nim.",
    "Likely range: where the true effect lies with 95%% confidence. Improved or got worse: a "
    "change larger than chance would explain.":
        "Prawdopodobny zakres: przedział, w którym z 95%% pewnością leży prawdziwy efekt. Poprawa "
        "lub pogorszenie: zmiana większa, niż mógłby wyjaśnić przypadek.",
    "Inconclusive is not the same as no change: the change is too small to detect with this "
    "data, and the report says how large a change it could have detected.":
        "Wynik nierozstrzygnięty to nie to samo co brak zmiany: zmiana jest zbyt mała, by ją "
        "wykryć na tych danych, a raport podaje, jak dużą zmianę dałoby się wykryć.",
    "Percentage points measure the change of a percentage: from 60%% to 66%% is 6 percentage "
    "points (a 10%% increase).":
        "Punkty procentowe (pkt proc.) mierzą zmianę odsetka: z 60%% do 66%% to 6 pkt proc. "
        "(wzrost o 10%%).",
    "Page 2 has the summary. The statistics (p-values, tests) are in each KPI’s details and in "
    "the appendix, with a glossary.":
        "Podsumowanie jest na stronie 2. Statystyki (wartości p, testy) są w szczegółach każdego "
        "wskaźnika i w załączniku, wraz ze słowniczkiem.",
    "Goals agreed at onboarding": "Cele uzgodnione na starcie",
    "Progress": "Postęp",
    "Next steps": "Następne kroki",
    "The whole plan, KPI by KPI:": "Cały plan, wskaźnik po wskaźniku:",
    "page": "strona",
    "Step": "Krok",
    "Average per period; the shaded bands are the likely range of each average. The dashed line "
    "marks the rollout.":
        "Średnia w okresie; cieniowane pasma to prawdopodobny zakres każdej średniej. Linia "
        "przerywana oznacza wdrożenie.",
    "Details for analysts": "Szczegóły dla analityków",
    "Average": "Średnia",
    "95%% confidence interval": "95%% przedział ufności",
    "Relative effect": "Efekt względny",
    "Smallest detectable effect": "Najmniejszy wykrywalny efekt",
    "Observations": "Obserwacje",
    "Significance: %(p)s.": "Istotność: %(p)s.",
    "Pre-trend check: %(p)s.": "Test trendów przed wdrożeniem: %(p)s.",
    "One entry per KPI that got worse, is inconclusive or falls short of a goal, with its goals "
    "under it, most urgent first.":
        "Jedna pozycja na każdy wskaźnik, który się pogorszył, jest nierozstrzygnięty lub nie "
        "sięga celu, z jego celami pod spodem; najpilniejsze najpierw.",
    "KPI and its goals": "Wskaźnik i jego cele",
    "Glossary": "Słowniczek",
    "The extra change in the group with the product, beyond the change in the comparison group "
    "over the same time (difference-in-differences).":
        "Dodatkowa zmiana w grupie z produktem ponad zmianę w grupie porównawczej w tym samym "
        "czasie (różnica różnic).",
    "Likely range": "Prawdopodobny zakres",
    "The 95%% confidence interval: the range in which the true effect lies with 95%% "
    "confidence.":
        "95%% przedział ufności: zakres, w którym z 95%% pewnością leży prawdziwy efekt.",
    "Percentage point": "Punkt procentowy",
    "The unit of a change in a percentage: from 60%% to 66%% is 6 percentage points, or a 10%% "
    "increase.":
        "Jednostka zmiany odsetka: z 60%% do 66%% to 6 punktów procentowych, czyli wzrost o 10%%.",
    "Significant, p-value": "Istotność, wartość p",
    "The p-value is how often chance alone would produce a change at least this large. A change "
    "is significant (improved or got worse) when the p-value, adjusted for testing several KPIs "
    "at once, is below %(alpha)s.":
        "Wartość p mówi, jak często sam przypadek dałby zmianę co najmniej tak dużą. Zmiana jest "
        "istotna (poprawa lub pogorszenie), gdy wartość p, skorygowana na badanie kilku "
        "wskaźników naraz, jest mniejsza niż %(alpha)s.",
    "The data cannot tell the change from chance. It is not the same as no change: the change "
    "may be real but too small to detect with this data.":
        "Dane nie pozwalają odróżnić zmiany od przypadku. To nie to samo co brak zmiany: zmiana "
        "może być prawdziwa, ale zbyt mała, by ją wykryć na tych danych.",
    "The smallest true effect this data would detect 8 times out of 10 (80%% power); smaller "
    "changes can go unnoticed.":
        "Najmniejszy prawdziwy efekt, który te dane wykryłyby 8 razy na 10 (moc 80%%); mniejsze "
        "zmiany mogą umknąć.",
    "Tests whether the two groups moved alike before the rollout, which the comparison relies "
    "on.":
        "Sprawdza, czy obie grupy zmieniały się podobnie przed wdrożeniem; na tym opiera się "
        "porównanie.",
    "Goal status": "Status celu",
    "Return on investment (ROI)": "Zwrot z inwestycji (ROI)",
    "(benefit − cost) / cost, as a percentage: 100%% means the product returned twice its cost. "
    "The conservative figure counts only significant improvements.":
        "(korzyść − koszt) / koszt, w procentach: 100%% oznacza, że produkt zwrócił dwukrotność "
        "swojego kosztu. Wariant ostrożny liczy tylko istotne poprawy.",
    "percentage points": "pkt proc.",
    "%(p)s; adjusted for %(n)s KPIs: %(adjusted)s": "%(p)s; po korekcie na %(n)s wskaźniki: %(adjusted)s",
    "likely range %(low)s to %(high)s": "prawdopodobny zakres od %(low)s do %(high)s",
    "no likely range: too few units to bound it":
        "brak prawdopodobnego zakresu: za mało jednostek, by go ograniczyć",
    "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with "
    "%(control)s, on average across the %(n)s waves (%(interval)s).":
        "%(treatment)s: %(kpi)s — %(direction)s o %(amount)s (%(relative)s) w porównaniu z "
        "grupą: %(control)s, średnio w %(n)s falach (%(interval)s).",
    "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with "
    "%(control)s (%(interval)s).":
        "%(treatment)s: %(kpi)s — %(direction)s o %(amount)s (%(relative)s) w porównaniu z "
        "grupą: %(control)s (%(interval)s).",
    "%(treatment)s: %(kpi)s %(direction)s by %(amount)s (%(relative)s) compared with before "
    "the rollout (%(interval)s).":
        "%(treatment)s: %(kpi)s — %(direction)s o %(amount)s (%(relative)s) w porównaniu z "
        "okresem przed wdrożeniem (%(interval)s).",
    "%(kpi)s down %(amount)s": "%(kpi)s: spadek o %(amount)s",
    "%(kpi)s up %(amount)s": "%(kpi)s: wzrost o %(amount)s",
    "not detectable with this design: too few units with the product":
        "niewykrywalne w tym układzie: za mało jednostek z produktem",
    "too small to detect with this data: we could detect changes larger than %(mde)s":
        "zbyt mała, by ją wykryć na tych danych: wykrylibyśmy zmiany większe niż %(mde)s",
    "No KPI improved measurably yet": "Żaden wskaźnik nie poprawił się jeszcze w mierzalny sposób",
    "No KPI changed by more than this data can detect yet: the results are inconclusive.":
        "Żaden wskaźnik nie zmienił się jeszcze bardziej, niż te dane pozwalają wykryć: wyniki "
        "są nierozstrzygnięte.",
    "%(wins)s.": "%(wins)s.",
    "%(wins)s; %(losses)s is the priority for next quarter.":
        "%(wins)s; priorytet na następny kwartał: %(losses)s.",
    "%(wins)s; %(losses)s are the priorities for next quarter.":
        "%(wins)s; priorytety na następny kwartał: %(losses)s.",
    "Inconclusive: %(meaning)s. That is not the same as no change.":
        "Wynik nierozstrzygnięty: %(meaning)s. To nie to samo co brak zmiany.",
    "Before their rollouts the waves moved like the comparison units: no difference in trends "
    "was detected.":
        "Przed swoimi wdrożeniami fale zmieniały się jak jednostki porównawcze: nie wykryto "
        "różnicy trendów.",
    "Before the rollout no difference between the groups' trends was detected.":
        "Przed wdrożeniem nie wykryto różnicy między trendami grup.",
    "Caution: before their rollouts the waves already moved differently from the comparison "
    "units, so part of this difference may not be due to the product.":
        "Uwaga: przed swoimi wdrożeniami fale zmieniały się już inaczej niż jednostki "
        "porównawcze, więc część tej różnicy może nie wynikać z produktu.",
    "Caution: before the rollout the groups' trends differed, so part of this difference may "
    "not be due to the product.":
        "Uwaga: przed wdrożeniem trendy grup się różniły, więc część tej różnicy może nie "
        "wynikać z produktu.",
    "%(left)s units were seen only before the rollout and %(joined)s only after it. On the "
    "%(units)s units seen on both sides the effect is %(effect)s (likely range %(low)s to "
    "%(high)s).":
        "Jednostki obecne tylko przed wdrożeniem: %(left)s, tylko po nim: %(joined)s. Dla "
        "jednostek obecnych po obu stronach (%(units)s) efekt wynosi %(effect)s (prawdopodobny "
        "zakres od %(low)s do %(high)s).",
    "%(measured)s of the %(target)s target": "%(measured)s z celu %(target)s",
    "%(measured)s against a target of %(target)s": "%(measured)s wobec celu %(target)s",
    "at the current trend %(projected)s by the deadline":
        "przy obecnym trendzie %(projected)s w terminie",
    "Got worse: %(change)s": "Pogorszenie: %(change)s",
    "Improved (%(change)s), but short of its goal": "Poprawa (%(change)s), ale poniżej celu",
    "Inconclusive: %(meaning)s": "Wynik nierozstrzygnięty: %(meaning)s",
    "Investigate why %(kpi)s got worse among the units that use the product, and agree a fix "
    "with the customer.":
        "Zbadać, dlaczego wskaźnik „%(kpi)s” pogorszył się wśród jednostek korzystających z "
        "produktu, i uzgodnić z klientem poprawkę.",
    "Agree with the customer how to close the gap to the target: wider use, training, or a "
    "later date.":
        "Uzgodnić z klientem, jak zmniejszyć odległość od celu: szersze użycie, szkolenia albo "
        "późniejszy termin.",
    "Gather more evidence: extend the pilot or add units, so that smaller changes can be "
    "detected.":
        "Zebrać więcej danych: przedłużyć pilotaż lub dodać jednostki, by dało się wykryć "
        "mniejsze zmiany.",
    "to agree": "do uzgodnienia",
    "Goals agreed at onboarding: %(achieved)s of %(total)s achieved.":
        "Cele uzgodnione na starcie: osiągnięte %(achieved)s z %(total)s.",
    "The bars are likely ranges, widened so that together they cover every point's true value "
    "with 95%% probability (a simultaneous band).":
        "Słupki to prawdopodobne zakresy, poszerzone tak, by razem z 95%% prawdopodobieństwem "
        "obejmowały prawdziwą wartość każdego punktu (pasmo jednoczesne).",
    "The bars are likely ranges: each covers its own point's true value with 95%% probability, "
    "not all of them at once.":
        "Słupki to prawdopodobne zakresy: każdy obejmuje prawdziwą wartość swojego punktu z 95%% "
        "prawdopodobieństwem, ale nie wszystkie naraz.",
    # Adoption and health (issue 14)
    "Account health": "Kondycja konta",
    "Wins this quarter": "Sukcesy w tym kwartale",
    "Adoption and health": "Wykorzystanie i kondycja konta",
    "Component": "Składnik",
    "Measured": "Zmierzono",
    "Points (0–100)": "Punkty (0–100)",
    "Weight": "Waga",
    "Contribution": "Wkład",
    "Health score": "Wskaźnik kondycji",
    "Each component scores 0–100 points: a share counts as its percentage, and NPS as (NPS + "
    "100) ÷ 2. Its contribution is its points times its weight; the contributions add up to the "
    "score.":
        "Każdy składnik dostaje 0–100 punktów: udział liczy się jako jego procent, a NPS jako "
        "(NPS + 100) ÷ 2. Wkład to punkty razy waga; wkłady sumują się do wyniku.",
    "Licences and active users": "Licencje i aktywni użytkownicy",
    "Active users per week against the licences bought":
        "Aktywni użytkownicy tygodniowo wobec kupionych licencji",
    "Distinct users with any use from Monday to Sunday; the dashed line is the licences bought.":
        "Różni użytkownicy, którzy choć raz użyli produktu od poniedziałku do niedzieli; linia "
        "przerywana to liczba kupionych licencji.",
    "Feature": "Funkcja",
    "Active users who used it": "Aktywni użytkownicy, którzy jej użyli",
    "Share of active users": "Udział wśród aktywnych",
    "Training": "Szkolenie",
    "Completed by": "Ukończone do",
    "Share trained": "Odsetek przeszkolonych",
    "Support": "Wsparcie",
    "Tickets": "Zgłoszenia",
    "Opened": "Otwarte",
    "Per week": "Tygodniowo",
    "Median time to resolution (hours)": "Mediana czasu rozwiązania (godziny)",
    "90th percentile (hours)": "90. percentyl (godziny)",
    "Resolved within %(hours)s hours": "Rozwiązane w ciągu %(hours)s godz.",
    "Open at the end": "Otwarte na koniec",
    "priority": "priorytet",
    "Net Promoter Score (NPS)": "Net Promoter Score (NPS)",
    "NPS over time": "NPS w czasie",
    "The first 90 days": "Pierwsze 90 dni",
    "Activation curve: licences that had used the product by each day since onboarding":
        "Krzywa aktywacji: licencje, których użytkownicy skorzystali z produktu do danego dnia "
        "od wdrożenia",
    "Coming next from us": "Co przygotowujemy",
    "Roadmap": "Plan rozwoju",
    "When": "Kiedy",
    "What we ask of you": "O co prosimy",
    "Green": "Zielony",
    "Amber": "Żółty",
    "Red": "Czerwony",
    "Usage": "Użycie",
    "NPS": "NPS",
    "%(share)s of licences in use": "%(share)s licencji w użyciu",
    "%(share)s completed the training": "%(share)s ukończyło szkolenie",
    "%(share)s of tickets resolved within %(hours)s hours":
        "%(share)s zgłoszeń rozwiązanych w ciągu %(hours)s godz.",
    "NPS %(score)s": "NPS %(score)s",
    "no usage data": "brak danych o użyciu",
    "no licence count to compare the active users with":
        "brak liczby licencji, z którą można porównać aktywnych użytkowników",
    "no training data": "brak danych o szkoleniach",
    "no support tickets": "brak zgłoszeń do wsparcia",
    "no ticket opened in %(quarter)s early enough to be judged":
        "żadne zgłoszenie z %(quarter)s nie zostało otwarte dość wcześnie, by je ocenić",
    "no NPS data": "brak danych NPS",
    "no NPS answer in %(quarter)s": "brak odpowiedzi NPS w %(quarter)s",
    "Left out for lack of data: %(components)s. The other weights were scaled up to add up to "
    "100%%.":
        "Pominięte z braku danych: %(components)s. Pozostałe wagi przeskalowano tak, by "
        "sumowały się do 100%%.",
    "Up %(change)s points since the end of %(quarter)s (then %(before)s, %(status)s).":
        "Wzrost o %(change)s pkt od końca %(quarter)s (wtedy %(before)s, %(status)s).",
    "Down %(change)s points since the end of %(quarter)s (then %(before)s, %(status)s).":
        "Spadek o %(change)s pkt od końca %(quarter)s (wtedy %(before)s, %(status)s).",
    "Unchanged since the end of %(quarter)s (%(before)s, %(status)s).":
        "Bez zmian od końca %(quarter)s (%(before)s, %(status)s).",
    "up %(change)s since %(quarter)s": "+%(change)s pkt od %(quarter)s",
    "down %(change)s since %(quarter)s": "−%(change)s pkt od %(quarter)s",
    "unchanged since %(quarter)s": "bez zmian od %(quarter)s",
    "Green from %(green)s, amber from %(amber)s, red below.":
        "Zielony od %(green)s, żółty od %(amber)s, poniżej czerwony.",
    "%(active)s active users": "aktywni użytkownicy: %(active)s",
    "%(active)s of %(licences)s licences in use (%(share)s)":
        "%(active)s z %(licences)s licencji w użyciu (%(share)s)",
    "%(licences)s licences": "Licencje: %(licences)s",
    "Active users per week": "Aktywni użytkownicy w tygodniu",
    "On average %(mean)s users a week in %(quarter)s.":
        "Średnio %(mean)s użytkowników tygodniowo w %(quarter)s.",
    "On average %(mean)s users a week in %(quarter)s, against %(before)s in %(previous)s.":
        "Średnio %(mean)s użytkowników tygodniowo w %(quarter)s wobec %(before)s w "
        "%(previous)s.",
    "On average %(mean)s users a week in %(quarter)s, against %(before)s in %(previous)s "
    "(%(change)s).":
        "Średnio %(mean)s użytkowników tygodniowo w %(quarter)s wobec %(before)s w "
        "%(previous)s (%(change)s).",
    "Licences": "Licencje",
    "Active users (last %(days)s days)": "Aktywni użytkownicy (ostatnie %(days)s dni)",
    "Licences in use": "Licencje w użyciu",
    "Stickiness (daily ÷ monthly active)": "Regularność (aktywni dziennie ÷ miesięcznie)",
    "Stickiness: on an average day %(daily)s of the %(active)s active users used it.":
        "Regularność: w przeciętnym dniu korzystało %(daily)s z %(active)s aktywnych "
        "użytkowników.",
    "licensed users": "użytkowników z licencją",
    "active users": "aktywnych użytkowników",
    "users in the training list": "użytkowników z listy szkoleń",
    "%(share)s of the %(base)s %(who)s completed the training (%(done)s).":
        "Szkolenie ukończyło %(share)s spośród %(base)s %(who)s (%(done)s).",
    "Up %(points)s percentage points since the end of %(quarter)s (%(before)s).":
        "Wzrost o %(points)s pkt proc. od końca %(quarter)s (%(before)s).",
    "Down %(points)s percentage points since the end of %(quarter)s (%(before)s).":
        "Spadek o %(points)s pkt proc. od końca %(quarter)s (%(before)s).",
    "Unchanged since the end of %(quarter)s (%(before)s).":
        "Bez zmian od końca %(quarter)s (%(before)s).",
    "Of the active users, %(share)s completed it.":
        "Spośród aktywnych użytkowników ukończyło je %(share)s.",
    "%(opened)s tickets in %(quarter)s (%(per_week)s a week); half were resolved within "
    "%(median)s hours and 9 in 10 within %(p90)s hours; %(backlog)s still open on %(date)s.":
        "Zgłoszenia w %(quarter)s: %(opened)s (%(per_week)s tygodniowo); połowę rozwiązano w "
        "ciągu %(median)s godz., 9 na 10 w ciągu %(p90)s godz.; otwarte na dzień %(date)s: "
        "%(backlog)s.",
    "No NPS answers in %(quarter)s.": "Brak odpowiedzi NPS w %(quarter)s.",
    "%(n)s answers in %(quarter)s": "%(n)s odpowiedzi w %(quarter)s",
    "Promoters (9–10) %(promoters)s%%, passives (7–8) %(passives)s%%, detractors (0–6) "
    "%(detractors)s%%.":
        "Promotorzy (9–10) %(promoters)s%%, neutralni (7–8) %(passives)s%%, krytycy (0–6) "
        "%(detractors)s%%.",
    "%(change)s points since %(previous)s (%(before)s from %(n)s answers; likely range of the "
    "change %(low)s to %(high)s).":
        "%(change)s pkt od %(previous)s (wtedy %(before)s z %(n)s odpowiedzi; prawdopodobny "
        "zakres zmiany od %(low)s do %(high)s).",
    "Only %(n)s answers: a few answers more or less can move this score a lot. Read it with its "
    "likely range.":
        "Tylko %(n)s odpowiedzi: kilka odpowiedzi więcej lub mniej może mocno zmienić ten "
        "wynik. Należy go czytać razem z prawdopodobnym zakresem.",
    "NPS by month": "NPS według miesięcy",
    "NPS by quarter, with its likely range": "NPS według kwartałów, z prawdopodobnym zakresem",
    "Onboarded on %(date)s. Not yet %(target)s of the licences have used the product, the mark "
    "of first value.":
        "Wdrożenie %(date)s. Z produktu skorzystało dotąd mniej niż %(target)s licencji, czyli "
        "próg pierwszej wartości.",
    "Onboarded on %(date)s. Time to first value: %(days)s days, until %(target)s of the "
    "licences had used the product (%(reached)s).":
        "Wdrożenie %(date)s. Czas do pierwszej wartości: %(days)s dni, aż z produktu "
        "skorzystało %(target)s licencji (%(reached)s).",
    "By day %(day)s, %(share)s had used it.": "Do dnia %(day)s skorzystało %(share)s.",
    "First value: %(target)s": "Pierwsza wartość: %(target)s",
    "day %(day)s": "dzień %(day)s",
    "Licences that had used it (%)": "Licencje, z których skorzystano (%)",
    "Days since onboarding": "Dni od wdrożenia",
    "account health %(score)s of 100 (%(status)s)":
        "kondycja konta %(score)s na 100 (%(status)s)",
    "Counted up to %(date)s; %(quarter)s compared with %(previous)s.":
        "Stan na %(date)s; %(quarter)s w porównaniu z %(previous)s.",
    "Low use: only %(share)s of the licences are in use (below %(threshold)s).":
        "Niskie użycie: w użyciu jest tylko %(share)s licencji (poniżej %(threshold)s).",
    "Low training: only %(share)s completed the training (below %(threshold)s).":
        "Mało przeszkolonych: szkolenie ukończyło tylko %(share)s (poniżej %(threshold)s).",
    "Drive adoption first: find out with the team leads why licensed users do not use the "
    "product, and agree a target for licences in use.":
        "Najpierw zwiększyć wykorzystanie: ustalić z kierownikami zespołów, dlaczego "
        "użytkownicy z licencją nie korzystają z produktu, i uzgodnić cel dla licencji w użyciu.",
    "Finish the training first: book the users who have not completed it, then measure again.":
        "Najpierw dokończyć szkolenie: zapisać użytkowników, którzy go nie ukończyli, i zmierzyć "
        "ponownie.",
    "Drive adoption and finish the training first: book the untrained users and agree a target "
    "for licences in use, then measure again.":
        "Najpierw zwiększyć wykorzystanie i dokończyć szkolenie: zapisać nieprzeszkolonych "
        "użytkowników, uzgodnić cel dla licencji w użyciu i zmierzyć ponownie.",
}


def main() -> None:
    root = Path(__file__).resolve().parents[1] / "report_templates" / "locales"
    with (root / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    catalog = Catalog(locale="pl", project="valueproof", domain="messages")
    missing = []
    for message in template:
        if not message.id:
            continue
        if message.id not in PL:
            missing.append(message.id)
        catalog.add(message.id, PL.get(message.id, ""), flags=message.flags)
    folder = root / "pl" / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "messages.po").open("wb") as handle:
        write_po(handle, catalog, omit_header=False, no_location=True, width=100)
    if missing:
        raise SystemExit("untranslated:\n" + "\n".join(missing))


if __name__ == "__main__":
    main()
