"""Demo systems for the Exempelby group: 80 systems with classifications, risk analyses and
action plans, so the register, "Mina system" and the management review have something to show.

`flask --app wsgi demo-systems` loads them after the demo directory sync (`make run` does).
Owners and administrators are demo people looked up by username. All dates count back from
`today`, so the overdue items stay overdue whenever the demo is loaded. The figures, over the
78 systems not retired: 18 classified (12 approved, 2 of those due for review, one level 4),
10 risk analysed, 17 with an action plan, 4 welfare technology systems in use without a risk
analysis, 4 without an owner.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import (
    ActionPlanItem,
    ActionStatus,
    ActionStatusChange,
    Classification,
    InformationSystem,
    LifecycleStatus,
    Organization,
    OrgUnit,
    Person,
    Risk,
    RiskAnalysis,
    SystemAdministrator,
    SystemStatusChange,
)
from app.services import audit

ORGS = {"K": "Exempelby kommun", "B": "Exempelby Bostäder AB", "E": "Exempelby Energi AB"}
COORDINATORS = {"K": "karin.holm", "B": "karin.holm", "E": "leila.oberg"}
KLASSA = "KLASSA 2.0"

# name, organization, unit path ("" none), owner ("" none), administrators, supplier,
# flags (p personal data, w welfare technology, v vital service), status, description
SYSTEMS = [
    ("Diarium Nova", "K", "Kommunledning / Kansli", "ahmed.fredriksson", "ali.aberg andreas.magnusson", "Nordarkiv AB", "p", "in_use", "Diarium och ärendehantering för kommunstyrelsen och nämnderna."),
    ("E-arkiv Exempelby", "K", "Kommunledning / Kansli", "ahmed.fredriksson", "per.nilsson karin.henriksson", "Arkivkedjan AB", "p", "in_use", "Långtidsbevarande av allmänna handlingar."),
    ("Sammanträdesportalen", "K", "Kommunledning / Kansli", "ahmed.fredriksson", "daniel.holmstrom", "Sammanträda AB", "", "in_use", "Kallelser, handlingar och protokoll för förtroendevalda."),
    ("Visselkanalen", "K", "Kommunledning / Kansli", "ahmed.fredriksson", "hans.ekstrom", "Rättsskydd Digital AB", "p", "in_use", "Visselblåsarfunktion enligt visselblåsarlagen."),
    ("Beredskapsportalen", "K", "Kommunledning / Kommunledningskontoret", "erik.hansson", "sofia.naslund", "Larmkraft AB", "v", "in_use", "Krisledning, lägesbilder och loggbok vid samhällsstörningar."),
    ("Synpunktshanteringen", "K", "Kommunledning / Kommunledningskontoret", "erik.hansson", "asa.bengtsson", "Tjänstetorget AB", "p", "in_use", "Synpunkter och klagomål från invånare."),
    ("Omsorgia", "K", "Socialtjänst", "ulf.jonsson", "karin.henriksson frida.nilsson", "CareData Nordic AB", "p", "in_use", "Verksamhetssystem för socialtjänsten: ärenden, journaler och beslut."),
    ("Tolkportalen", "K", "Socialtjänst", "ulf.jonsson", "omar.sandberg", "Språkbron AB", "p", "in_use", "Bokning av tolkar till möten med invånare."),
    ("Tidsam Mobil", "K", "Socialtjänst / Äldreomsorg / Hemtjänst Norr", "maria.nilsson", "sara.lindstrom karin.lundgren", "Tidsam AB", "p", "in_use", "Planering av hemtjänstinsatser och mobil dokumentation."),
    ("Nyckelfri Omsorg", "K", "Socialtjänst / Äldreomsorg / Hemtjänst Norr", "maria.nilsson", "sara.lindstrom", "Låsvakten AB", "pw", "in_use", "Digitala lås till brukarnas ytterdörrar i hemtjänsten."),
    ("Nattöga trygghetskamera", "K", "Socialtjänst / Äldreomsorg / Hemtjänst Norr", "maria.nilsson", "karin.lundgren", "Vårdvision AB", "pw", "in_use", "Trygghetskameror för nattlig tillsyn i hemmet."),
    ("Trygghetslarm Trygga Hem", "K", "Socialtjänst / Äldreomsorg", "minh.korhonen", "sara.lindstrom omar.sandberg", "Larmkraft AB", "pwv", "in_use", "Trygghetslarm med larmcentral för äldre i ordinärt boende."),
    ("Dosia läkemedelsrobot", "K", "Socialtjänst / Äldreomsorg", "minh.korhonen", "oskar.mohammed", "Medidos Nordic AB", "pw", "in_use", "Läkemedelsrobotar som delar ut läkemedel i hemmet."),
    ("Hälsojournalen", "K", "Socialtjänst / Äldreomsorg", "minh.korhonen", "johan.naslund lena.berg", "CareData Nordic AB", "p", "in_use", "Journal för kommunal hälso- och sjukvård."),
    ("Kvalitetsrapporten", "K", "Socialtjänst / Äldreomsorg", "minh.korhonen", "ulf.yilmaz", "Registercentrum Syd AB", "p", "in_use", "Rapportering till nationella kvalitetsregister."),
    ("Hittaskor GPS-larm", "K", "Socialtjänst / Äldreomsorg / Hemtjänst Söder", "andreas.yilmaz", "mans.ek", "Positiva Larm AB", "pw", "procurement", "GPS-larm för personer med demenssjukdom."),
    ("Videotillsyn Hemma", "K", "Socialtjänst / Äldreomsorg / Hemtjänst Söder", "andreas.yilmaz", "agneta.sandberg", "Vårdvision AB", "pw", "planned", "Tillsyn via surfplatta i stället för besök nattetid."),
    ("Nattro digital nattillsyn", "K", "Socialtjänst / Äldreomsorg / Särskilt boende Solgården", "niklas.pettersson", "helena.korhonen", "Sensia Care AB", "pw", "in_use", "Digital nattillsyn med rörelsesensorer på Solgården."),
    ("eSignera Vård", "K", "Socialtjänst / Äldreomsorg / Särskilt boende Solgården", "niklas.pettersson", "oskar.mohammed", "Medidos Nordic AB", "p", "in_use", "Digitala signeringslistor för läkemedel och insatser."),
    ("Biståndsansökan Online", "K", "Socialtjänst / Individ- och familjeomsorg", "jan.bjorklund", "leila.svensson", "Tjänstetorget AB", "p", "in_use", "E-tjänst för ansökan om ekonomiskt bistånd."),
    ("Robotia Bistånd", "K", "Socialtjänst / Individ- och familjeomsorg", "jan.bjorklund", "erik.jovanovic", "Robotia Nordic AB", "p", "planned", "Automatiserad handläggning av återansökningar om ekonomiskt bistånd."),
    ("Dagligt Stöd", "K", "Socialtjänst / Funktionsstöd", "osten.ali", "frida.nilsson", "Tidsam AB", "p", "in_use", "Planering och närvaro i daglig verksamhet."),
    ("Påminnaren", "K", "Socialtjänst / Funktionsstöd", "osten.ali", "thomas.lindgren", "Medidos Nordic AB", "pw", "in_use", "Digitala påminnelser om läkemedel och aktiviteter i hemmet."),
    ("Lärlänken skolplattform", "K", "Utbildning", "ali.lind", "anders.henriksson2 hanna.ali", "EduNord AB", "p", "in_use", "Lärplattform, närvaro, omdömen och kontakt med vårdnadshavare."),
    ("Skolwebben", "K", "Utbildning", "ali.lind", "", "Webbyrån Ek & Co", "", "retired", "Skolornas gamla webbplatser."),
    ("Elevdata Plus", "K", "Utbildning / Grundskola", "lars.lind", "anders.henriksson2", "EduNord AB", "p", "in_use", "Elevregister och schemaläggning för grundskolan."),
    ("Närvaro Classic", "K", "Utbildning / Grundskola", "lars.lind", "hanna.ali", "EduNord AB", "p", "phasing_out", "Äldre frånvarorapportering, ersätts av Lärlänken."),
    ("Förskoleappen Kotten", "K", "Utbildning / Förskola", "emma.lundgren", "maria.nilsson2", "Barnlänk AB", "p", "in_use", "Närvaro och kommunikation med vårdnadshavare i förskolan."),
    ("Köplats Barnomsorg", "K", "Utbildning / Förskola", "emma.lundgren", "cecilia.soderberg", "Tjänstetorget AB", "p", "in_use", "Kö, placering och avgifter i förskola och fritidshem."),
    ("Elevhälsa Journal", "K", "Utbildning / Elevhälsa", "osten.nguyen", "linh.ali", "CareData Nordic AB", "p", "in_use", "Journaler för skolsköterskor, kuratorer och psykologer."),
    ("Kartkällan GIS", "K", "Samhällsbyggnad", "daniel.lindqvist", "jan.kovacevic", "Geodata Nord AB", "", "in_use", "GIS-plattform med baskarta och detaljplaner."),
    ("Aquastyr VA-styrsystem", "K", "Samhällsbyggnad", "daniel.lindqvist", "goran.nguyen erik.jovanovic", "Processautomation Väst AB", "v", "in_use", "Styr- och övervakningssystem för vattenverk, reningsverk och pumpstationer."),
    ("Mätardata VA", "K", "Samhällsbyggnad", "daniel.lindqvist", "goran.nguyen", "Processautomation Väst AB", "p", "planned", "Fjärravläsning av vattenmätare."),
    ("Byggärenden Pro", "K", "Samhällsbyggnad / Bygglov", "andre.nilsson", "erik.magnusson karin.bengtsson", "Samhällsdata AB", "p", "in_use", "Handläggning av bygglov, anmälningar och tillsyn."),
    ("Bygglovsguiden", "K", "Samhällsbyggnad / Bygglov", "andre.nilsson", "erik.magnusson", "Tjänstetorget AB", "p", "in_use", "E-tjänst för ansökan om bygglov."),
    ("Miljöreda", "K", "Samhällsbyggnad / Miljö och hälsoskydd", "malin.holmstrom", "johan.jonsson", "Samhällsdata AB", "p", "in_use", "Ärenden och tillsyn inom miljö- och hälsoskydd."),
    ("Felanmälan Direkt", "K", "Samhällsbyggnad / Gata och park", "fatima.lindqvist", "soren.soderberg", "Tjänstetorget AB", "p", "in_use", "Felanmälan om gator, belysning och parker."),
    ("Signalcentralen", "K", "Samhällsbyggnad / Gata och park", "fatima.lindqvist", "goran.nguyen", "Trafikteknik Nord AB", "v", "in_use", "Styrning av trafiksignaler och gatubelysning."),
    ("P-Kontroll", "K", "Samhällsbyggnad / Gata och park", "fatima.lindqvist", "", "Parkera Smart AB", "p", "procurement", "Parkeringsövervakning och kontrollavgifter."),
    ("Bokaplan", "K", "Kultur och fritid", "helena.henriksson", "oskar.jovanovic", "Föreningsdata AB", "p", "in_use", "Bokningssystem för lokaler och idrottsanläggningar."),
    ("Föreningskollen", "K", "Kultur och fritid", "helena.henriksson", "eva.eriksson", "Föreningsdata AB", "p", "in_use", "Föreningsregister och föreningsbidrag."),
    ("Kulturskoleportalen", "K", "Kultur och fritid", "", "", "EduNord AB", "p", "procurement", "Antagning och avgifter i kulturskolan."),
    ("Boksamlaren", "K", "Kultur och fritid / Bibliotek", "andreas.soderberg", "maria.nguyen stefan.kovacevic", "Biblioteksdata Norden AB", "p", "in_use", "Bibliotekssystem med låntagarregister och katalog."),
    ("Tjänstetorget e-tjänster", "K", "Verksamhetsstöd", "eva.jansson", "rickard.lundqvist", "Tjänstetorget AB", "p", "in_use", "E-tjänsteplattform med inloggning med e-legitimation."),
    ("Växeln", "K", "Verksamhetsstöd", "eva.jansson", "mats.jakobsson", "Telekom Öst AB", "p", "in_use", "Telefoni, växel och kontaktcenter."),
    ("Identa IAM", "K", "Verksamhetsstöd / IT-enheten", "erik.sandberg", "ahmed.hassan henrik.lundberg", "Säkra Identiteter AB", "p", "in_use", "Identitets- och behörighetshantering med flerfaktorsinloggning."),
    ("Molnkontoret", "K", "Verksamhetsstöd / IT-enheten", "erik.sandberg", "hanna.ali", "Molnkontor Nordic AB", "p", "in_use", "E-post, kalender och samarbetsytor."),
    ("Nätvakten", "K", "Verksamhetsstöd / IT-enheten", "erik.sandberg", "mats.jakobsson", "Övervakning Syd AB", "", "in_use", "Driftövervakning av servrar och nätverk."),
    ("Backupvalvet", "K", "Verksamhetsstöd / IT-enheten", "erik.sandberg", "ahmed.hassan", "Lagringspartner AB", "", "in_use", "Säkerhetskopiering av servrar och verksamhetssystem."),
    ("Enhetshanteraren", "K", "Verksamhetsstöd / IT-enheten", "erik.sandberg", "mats.jakobsson", "Mobilstyr AB", "", "in_use", "Hantering av elevernas och personalens datorer och surfplattor."),
    ("Printhanteraren", "K", "Verksamhetsstöd / IT-enheten", "", "mats.jakobsson", "Kontorsteknik AB", "", "in_use", "Utskrifter och skrivare."),
    ("Rumsbokaren", "K", "Verksamhetsstöd / IT-enheten", "", "hanna.ali", "Bokningsteknik AB", "", "in_use", "Bokning av mötesrum."),
    ("Ekonomia", "K", "Verksamhetsstöd / Ekonomienheten", "lars.soderberg", "louise.fredriksson rickard.lundqvist", "Finansdata Sverige AB", "", "in_use", "Ekonomisystem: redovisning, budget och leverantörsreskontra."),
    ("Inköpsportalen", "K", "Verksamhetsstöd / Ekonomienheten", "lars.soderberg", "andre.nordin", "Finansdata Sverige AB", "", "in_use", "E-handel och elektronisk fakturahantering."),
    ("Ekonomi 2009", "K", "Verksamhetsstöd / Ekonomienheten", "lars.soderberg", "", "Finansdata Sverige AB", "", "retired", "Tidigare ekonomisystem; uppgifterna finns i e-arkivet."),
    ("Lönia", "K", "Verksamhetsstöd / HR-enheten", "henrik.mattsson", "minh.lindstrom lena.berg", "Personaldata Nordic AB", "p", "in_use", "Lönesystem för anställda och förtroendevalda."),
    ("Personalportalen", "K", "Verksamhetsstöd / HR-enheten", "henrik.mattsson", "ulf.lindberg", "Personaldata Nordic AB", "p", "in_use", "HR-system med självservice för ledighet och frånvaro."),
    ("PA-Lön Classic", "K", "Verksamhetsstöd / HR-enheten", "henrik.mattsson", "minh.lindstrom", "Personaldata Nordic AB", "p", "phasing_out", "Gamla personalsystemet, avvecklas efter bytet till Lönia."),
    ("Webbplatsen exempelby.se", "K", "Verksamhetsstöd / Kommunikation", "johan.lindgren", "mans.nilsson", "Webbyrån Ek & Co", "", "in_use", "Kommunens externa webbplats."),
    ("Insidan", "K", "Verksamhetsstöd / Kommunikation", "johan.lindgren", "mans.nilsson kerstin.berg", "Webbyrån Ek & Co", "p", "in_use", "Intranät för medarbetarna."),
    ("Fastighetsnavet", "B", "Förvaltning", "ulf.bjorklund", "fredrik.lundberg jonas.jovanovic", "Fastdata AB", "p", "in_use", "Fastighetssystem: objekt, avtal, underhållsplaner och ärenden."),
    ("Energiloggen", "B", "Förvaltning", "ulf.bjorklund", "", "Fastdata AB", "", "planned", "Uppföljning av fastigheternas energianvändning."),
    ("Hyresreskontran", "B", "Uthyrning", "asa.rosen", "johanna.bengtsson", "Fastdata AB", "p", "in_use", "Hyresavisering och hyresreskontra."),
    ("Bostadskön", "B", "Uthyrning", "asa.rosen", "britt-marie.astrom", "Boplats Digital AB", "p", "in_use", "Bostadskö och förmedling av lediga lägenheter."),
    ("Mina sidor hyresgäst", "B", "Uthyrning", "asa.rosen", "ulf.nilsson marie.henriksson", "Boplats Digital AB", "p", "in_use", "Felanmälan och kontakt för hyresgäster."),
    ("Hyra 2000", "B", "Uthyrning", "asa.rosen", "johanna.bengtsson", "Fastdata AB", "p", "phasing_out", "Gamla hyressystemet, ersatt av Hyresreskontran."),
    ("Passerkontroll Bostad", "B", "Fastighetsservice", "fredrik.engstrom", "gustav.bjorklund", "Låsvakten AB", "p", "in_use", "Passersystem, taggar och elektroniska lås."),
    ("Fastighetsstyr", "B", "Fastighetsservice", "fredrik.engstrom", "daniel.yilmaz", "Processautomation Väst AB", "", "in_use", "Styrning och övervakning av värme och ventilation."),
    ("Tvättbokaren", "B", "Fastighetsservice", "fredrik.engstrom", "linnea.magnusson", "Bokningsteknik AB", "p", "in_use", "Bokning av tvättstugor."),
    ("Bolagsekonomi", "B", "", "johanna.hedlund", "fredrik.lundberg", "Finansdata Sverige AB", "", "in_use", "Ekonomisystem för bolaget."),
    ("Värmevakt SCADA", "E", "Fjärrvärme", "cecilia.hassan", "karin.hansson elin.lindqvist", "Processautomation Väst AB", "v", "in_use", "Driftövervakning och styrning av fjärrvärmeverk och undercentraler."),
    ("Underhållsplaneraren", "E", "Fjärrvärme", "cecilia.hassan", "mirjana.karlsson", "Underhåll Nord AB", "", "in_use", "Underhållsplanering för produktionsanläggningarna."),
    ("Nätkontroll DMS", "E", "Elnät", "asa.larsson", "omar.naslund andreas.jovanovic", "Kraftsystem Norden AB", "v", "in_use", "Driftövervakning och styrning av elnätet."),
    ("Mätinsamlaren", "E", "Elnät", "asa.larsson", "linnea.nordin", "Kraftsystem Norden AB", "pv", "in_use", "Insamling av mätvärden från kundernas elmätare."),
    ("Nätkartan", "E", "Elnät", "asa.larsson", "omar.naslund", "Geodata Nord AB", "v", "in_use", "Nätinformationssystem med ledningskarta."),
    ("Fältappen", "E", "Elnät", "asa.larsson", "andreas.jovanovic", "Underhåll Nord AB", "", "procurement", "Mobila arbetsordrar för montörer."),
    ("Kundia Energi", "E", "Kundservice", "malin.jonsson", "peter.lindstrom", "Energidata AB", "p", "in_use", "Kundsystem med avtal och fakturering."),
    ("Mina sidor Energi", "E", "Kundservice", "malin.jonsson", "oskar.mattsson", "Energidata AB", "p", "in_use", "Kundportal för förbrukning och fakturor."),
    ("Fakturaflödet", "E", "Kundservice", "", "henrik.berglund", "Finansdata Sverige AB", "", "in_use", "Skanning och attest av leverantörsfakturor."),
    ("Incidentloggen", "E", "", "lars.aberg", "leila.oberg", "Säkra Identiteter AB", "", "in_use", "Incidentrapportering, även till tillsynsmyndigheten."),
]

# system, (confidentiality, integrity, availability, traceability), classified days ago,
# approved days ago (None: not approved), notes. A system's last row is its current one.
CLASSIFICATIONS = [
    ("Ekonomia", (2, 2, 2, 2), 1000, 990, ""),
    ("Diarium Nova", (3, 3, 2, 3), 160, 150, ""),
    ("Omsorgia", (3, 3, 3, 3), 75, 60, "Skyddade personuppgifter förekommer."),
    ("Nyckelfri Omsorg", (2, 3, 3, 3), 200, 190, ""),
    ("Trygghetslarm Trygga Hem", (3, 3, 3, 2), 480, 460, ""),
    ("Lärlänken skolplattform", (3, 2, 2, 2), 130, 120, ""),
    ("Elevdata Plus", (2, 2, 2, 2), 600, 580, ""),
    ("Aquastyr VA-styrsystem", (1, 3, 4, 3), 100, 90, "Tillgänglighet nivå 4: kräver en särskild analys utöver KLASSA:s kravkatalog."),
    ("Ekonomia", (2, 3, 2, 3), 230, 220, "Ny klassning efter bytet av attestflöde."),
    ("Lönia", (3, 3, 2, 3), 320, 300, ""),
    ("Identa IAM", (3, 3, 3, 3), 170, 165, ""),
    ("Fastighetsnavet", (2, 2, 2, 2), 260, 250, ""),
    ("Värmevakt SCADA", (1, 3, 3, 2), 140, 130, ""),
    ("Tidsam Mobil", (3, 2, 3, 2), 40, None, ""),
    ("Dosia läkemedelsrobot", (3, 3, 3, 3), 90, None, ""),
    ("Elevhälsa Journal", (3, 3, 2, 3), 55, None, ""),
    ("Byggärenden Pro", (2, 2, 2, 2), 25, None, ""),
    ("Bostadskön", (2, 2, 1, 2), 70, None, ""),
    ("Mätinsamlaren", (2, 3, 2, 2), 20, None, ""),
]

# system, performed days ago, approved days ago (None: not approved), risks as
# (description, likelihood, consequence)
RISK_ANALYSES = [
    ("Diarium Nova", 140, 130, [
        ("Sekretessmarkerade handlingar kan bli sökbara för alla handläggare", 3, 3),
        ("Leverantören saknar dokumenterad rutin för incidentrapportering", 2, 3),
        ("Felaktig gallring raderar handlingar som ska bevaras", 2, 4),
        ("Ingen testad återläsning av säkerhetskopior", 2, 3)]),
    ("Omsorgia", 50, 45, [
        ("Obehörig åtkomst till personakter genom för breda behörigheter", 3, 4),
        ("Skyddade personuppgifter syns i utskrifter och exporter", 2, 4),
        ("Loggar över åtkomst följs inte upp systematiskt", 3, 3),
        ("Avbrott i systemet stoppar dokumentation och beslut", 2, 3),
        ("Delade inloggningar på gemensamma datorer", 3, 3)]),
    ("Nyckelfri Omsorg", 185, 180, [
        ("Borttappad mobil med behörighet att öppna brukares dörrar", 3, 4),
        ("Låsen går inte att öppna vid avbrott i mobilnätet", 2, 4),
        ("Vikariers behörigheter återkallas inte när de slutar", 3, 3),
        ("Batteriet i ett lås tar slut utan att någon larmas", 2, 3)]),
    ("Trygghetslarm Trygga Hem", 470, 455, [
        ("Larm når inte larmcentralen vid avbrott i mobilnätet", 2, 4),
        ("Larmcentralen har för få operatörer nattetid", 2, 4),
        ("Larmens testsignaler följs inte upp", 3, 3),
        ("Bytet från analoga till digitala larm blir ofullständigt", 2, 3)]),
    ("Lärlänken skolplattform", 110, 100, [
        ("Vårdnadshavare med kontaktförbud kan se elevens uppgifter", 2, 4),
        ("Elever kommer åt lärares behörigheter via delade datorer", 2, 3),
        ("Uppgifter om elever med skyddad identitet syns för alla lärare", 2, 4),
        ("Plattformen ligger nere under nationella prov", 1, 3)]),
    ("Aquastyr VA-styrsystem", 85, 80, [
        ("Leverantörens fjärråtkomst saknar flerfaktorsautentisering", 3, 4),
        ("Styrnätet är inte avskilt från kontorsnätet", 2, 4),
        ("Reservkraften räcker inte vid ett långvarigt elavbrott", 2, 4),
        ("Ändringar i styrlogiken dokumenteras inte", 3, 3),
        ("Operatörsdatorer utan säkerhetsuppdateringar", 3, 3),
        ("Nyckelkompetens finns hos en enda person", 3, 2)]),
    ("Ekonomia", 210, 200, [
        ("Attestregler kan kringgås vid manuella utbetalningar", 2, 4),
        ("Bedrägliga ändringar av leverantörers bankgiro", 3, 4),
        ("Behörigheter tas inte bort när anställda slutar", 3, 2)]),
    ("Identa IAM", 160, 155, [
        ("Konton för personer som slutat ligger kvar aktiva", 3, 3),
        ("Administratörskonton saknar flerfaktorsautentisering", 2, 4),
        ("Katalogtjänsten är en enda felkälla för all inloggning", 2, 4),
        ("Synkroniseringen mot personalsystemet stannar utan larm", 2, 3)]),
    ("Värmevakt SCADA", 120, 110, [
        ("Leverantörens fjärruppkoppling är ständigt öppen", 3, 4),
        ("Styrsystemet kan inte återställas inom kravställd tid", 2, 4),
        ("Larm från undercentraler drunknar i falsklarm", 3, 2),
        ("Undercentralerna har otillräckligt skalskydd", 2, 3)]),
    ("Hittaskor GPS-larm", 30, None, [
        ("Positionsdata lagras hos leverantören utanför EU/EES", 2, 4),
        ("Larmet når inte personalen när personen lämnar området", 2, 4),
        ("Batteriet laddas inte och larmet slutar fungera", 3, 3)]),
]

# system, from ("c" current classification, "r" risk analysis), description, responsible,
# due (days from today; negative is past), status, note (the justification of an accepted risk)
ACTIONS = [
    ("Diarium Nova", "r", "Se över behörighetsgrupperna för sekretessmarkerade ärenden", "ali.aberg", -20, "in_progress", ""),
    ("Diarium Nova", "r", "Testa återläsning av en säkerhetskopia med leverantören", "karin.henriksson", -60, "done", ""),
    ("Diarium Nova", "c", "Ta fram en rutin för gallring enligt dokumenthanteringsplanen", "per.nilsson", 90, "open", ""),
    ("Omsorgia", "r", "Inför behörighetsgrupper per enhet i stället för hela socialtjänsten", "karin.henriksson", 60, "in_progress", ""),
    ("Omsorgia", "r", "Följ upp åtkomstloggarna varje månad", "frida.nilsson", -10, "open", ""),
    ("Omsorgia", "r", "Dölj skyddade personuppgifter i utskrifter och exporter", "karin.henriksson", 120, "open", ""),
    ("Omsorgia", "c", "Upprätta en kontinuitetsplan för avbrott i verksamhetssystemet", "ulf.jonsson", 150, "open", ""),
    ("Nyckelfri Omsorg", "r", "Inför PIN-kod och fjärrspärr i mobilerna som öppnar lås", "sara.lindstrom", -90, "done", ""),
    ("Nyckelfri Omsorg", "r", "Rutin för att återkalla vikariers behörigheter samma dag", "maria.nilsson", -30, "in_progress", ""),
    ("Nyckelfri Omsorg", "r", "Larm vid lågt batteri i låsen", "sara.lindstrom", 60, "accepted_risk", "Leverantören byter batterier var sjätte månad; en larmfunktion kostar mer än risken motiverar."),
    ("Trygghetslarm Trygga Hem", "r", "Kräv redundant larmöverföring via två operatörer i det nya avtalet", "minh.korhonen", -45, "open", ""),
    ("Trygghetslarm Trygga Hem", "r", "Följ upp testsignalerna varje vecka", "sara.lindstrom", -200, "done", ""),
    ("Trygghetslarm Trygga Hem", "c", "Gör om informationsklassningen", "minh.korhonen", 30, "open", ""),
    ("Lärlänken skolplattform", "r", "Spärra vårdnadshavares åtkomst vid kontaktförbud", "anders.henriksson2", -60, "done", ""),
    ("Lärlänken skolplattform", "r", "Dölj uppgifter om elever med skyddad identitet", "anders.henriksson2", 45, "in_progress", ""),
    ("Lärlänken skolplattform", "c", "Utbilda lärarna i hantering av elevuppgifter", "lars.lind", 120, "open", ""),
    ("Elevdata Plus", "c", "Logga utdrag ur elevregistret", "anders.henriksson2", -300, "done", ""),
    ("Elevdata Plus", "c", "Gör om informationsklassningen", "lars.lind", -60, "open", ""),
    ("Aquastyr VA-styrsystem", "c", "Gör en särskild analys av tillgängligheten (nivå 4)", "daniel.lindqvist", -50, "done", ""),
    ("Aquastyr VA-styrsystem", "r", "Inför flerfaktorsautentisering för leverantörens fjärråtkomst", "goran.nguyen", -15, "in_progress", ""),
    ("Aquastyr VA-styrsystem", "r", "Avskilj styrnätet från kontorsnätet", "erik.jovanovic", 100, "in_progress", ""),
    ("Aquastyr VA-styrsystem", "r", "Utred reservkraft för vattenverket", "daniel.lindqvist", 200, "open", ""),
    ("Aquastyr VA-styrsystem", "r", "För en ändringslogg över styrlogiken", "goran.nguyen", 30, "open", ""),
    ("Ekonomia", "r", "Kontrollera ändrade bankgiron per telefon med leverantören", "louise.fredriksson", -180, "done", ""),
    ("Ekonomia", "r", "Gå igenom behörigheterna varje kvartal", "rickard.lundqvist", 25, "open", ""),
    ("Ekonomia", "r", "Teknisk spärr mot manuella utbetalningar", "lars.soderberg", 90, "accepted_risk", "Manuella utbetalningar är få och granskas i efterhand av controller varje månad."),
    ("Identa IAM", "r", "Avaktivera konton automatiskt när anställningen upphör", "ahmed.hassan", -120, "done", ""),
    ("Identa IAM", "r", "Flerfaktorsautentisering för alla administratörskonton", "henrik.lundberg", 20, "in_progress", ""),
    ("Identa IAM", "r", "Larm när synkroniseringen mot personalsystemet stannar", "ahmed.hassan", 60, "open", ""),
    ("Fastighetsnavet", "c", "Beställ säkerhetskopiering hos leverantören enligt klassningen", "ulf.bjorklund", -210, "done", ""),
    ("Fastighetsnavet", "c", "Se över vilka entreprenörer som har åtkomst", "fredrik.lundberg", 75, "open", ""),
    ("Värmevakt SCADA", "r", "Stäng leverantörens permanenta fjärruppkoppling", "karin.hansson", -70, "done", ""),
    ("Värmevakt SCADA", "r", "Öva återställning av styrsystemet", "elin.lindqvist", -25, "open", ""),
    ("Värmevakt SCADA", "r", "Förbättra skalskyddet vid undercentralerna", "cecilia.hassan", 180, "open", ""),
    ("Tidsam Mobil", "c", "Inför skärmlås på hemtjänstens mobiler", "sara.lindstrom", -10, "done", ""),
    ("Tidsam Mobil", "c", "Gör en riskanalys", "maria.nilsson", 30, "open", ""),
    ("Dosia läkemedelsrobot", "c", "Gör en riskanalys innan fler läkemedelsrobotar tas i drift", "minh.korhonen", -35, "open", ""),
    ("Elevhälsa Journal", "c", "Begränsa åtkomsten till journalerna per yrkesgrupp", "linh.ali", 60, "in_progress", ""),
    ("Byggärenden Pro", "c", "Rutin för personuppgifter i ärenden som publiceras", "erik.magnusson", 90, "open", ""),
    ("Bostadskön", "c", "Stark autentisering för bostadssökande på webben", "britt-marie.astrom", 120, "open", ""),
    ("Hittaskor GPS-larm", "r", "Krav på lagring inom EU/EES i upphandlingen", "andreas.yilmaz", -10, "done", ""),
    ("Hittaskor GPS-larm", "r", "Testa larmkedjan innan systemet tas i drift", "mans.ek", 60, "open", ""),
]

# The statuses a system went through to reach its current one.
STATUS_PATHS = {"planned": ["planned"], "procurement": ["planned", "procurement"],
                 "in_use": ["in_use"], "phasing_out": ["in_use", "phasing_out"],
                 "retired": ["in_use", "phasing_out", "retired"]}
# The statuses an action item went through; the first is always open.
ACTION_PATHS = {"open": ["open"], "in_progress": ["open", "in_progress"],
                "done": ["open", "in_progress", "done"], "accepted_risk": ["open", "accepted_risk"]}


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour))


def _between(start: date, end: date, steps: int) -> list[datetime]:
    """`steps` moments spread evenly from start to end (the first is start)."""
    span = max((end - start).days, steps)
    return [_at(start + timedelta(days=span * k // steps)) for k in range(steps)]


def load_demo_systems(today: date) -> int:
    """Add the demo systems to an empty register (the caller commits); return how many.

    Does nothing, and returns 0, when the register already holds a system. Raises
    LookupError when a demo organization, unit or person is missing (sync the demo first).
    """
    if db.session.scalar(select(InformationSystem.id).limit(1)) is not None:
        return 0
    orgs = {o.name: o for o in db.session.scalars(select(Organization))}
    people = {p.username: p for p in db.session.scalars(select(Person).where(Person.active))}
    units = {(u.organization_id, u.path): u for u in db.session.scalars(select(OrgUnit))}

    def find(table: dict, key: object, what: str):
        if key not in table:
            raise LookupError(f"demo {what} {key!r} not found: run the demo ldap-sync first")
        return table[key]

    def person(username: str) -> Person | None:
        return find(people, username, "person") if username else None

    systems: dict[str, tuple[InformationSystem, str]] = {}
    for i, (name, org, unit, owner, admins, supplier, flags, status, text) in enumerate(SYSTEMS):
        organization = find(orgs, ORGS[org], "organization")
        created = _at(today - timedelta(days=1100 - 10 * i))
        system = InformationSystem(
            name=name, description=text, organization=organization, owner=person(owner),
            unit=find(units, (organization.id, unit), "unit") if unit else None,
            supplier=supplier, personal_data="p" in flags, welfare_technology="w" in flags,
            vital_service="v" in flags, status=LifecycleStatus(status), notes="",
            created_at=created, updated_at=created)
        system.refresh_search_text()
        system.administrator_links = [SystemAdministrator(person=person(u))
                                      for u in admins.split()]
        db.session.add(system)
        systems[name] = (system, org)
    db.session.flush()

    for system, org in systems.values():
        path = STATUS_PATHS[system.status.value]
        moments = _between(system.created_at.date(), today - timedelta(days=30), len(path))
        for old, new, moment in zip([None, *path], path, moments, strict=False):
            db.session.add(SystemStatusChange(
                system_id=system.id, from_status=old, to_status=LifecycleStatus(new),
                changed_at=moment, changed_by_id=person(COORDINATORS[org]).id))

    def participants(system: InformationSystem, org: str) -> list[str]:
        members = [system.owner, *(link.person for link in system.administrator_links),
                   person(COORDINATORS[org])]
        return [p.display_name for p in members if p is not None]

    sources: dict[tuple[str, str], tuple[int, date]] = {}  # (system, "c"/"r") -> id, date
    for name, (conf, integ, avail, trace), classified, approved, notes in CLASSIFICATIONS:
        system, org = systems[name]
        approved_on = today - timedelta(days=approved) if approved is not None else None
        classification = Classification(
            system_id=system.id, classified_on=today - timedelta(days=classified),
            klassa_version=KLASSA, participants=participants(system, org),
            confidentiality=conf, integrity=integ, availability=avail, traceability=trace,
            notes=notes, recorded_at=_at(today - timedelta(days=classified), 15),
            recorded_by_id=person(COORDINATORS[org]).id, approved_on=approved_on,
            approved_at=_at(approved_on) if approved_on else None,
            approved_by_id=system.owner_id if approved_on else None)
        db.session.add(classification)
        db.session.flush()
        sources[name, "c"] = classification.id, classification.classified_on

    for name, performed, approved, risks in RISK_ANALYSES:
        system, org = systems[name]
        performed_on = today - timedelta(days=performed)
        approved_on = today - timedelta(days=approved) if approved is not None else None
        highest = max(likelihood * consequence for _d, likelihood, consequence in risks)
        analysis = RiskAnalysis(
            system_id=system.id, performed_on=performed_on, method="MSB:s metodstöd för "
            "riskanalys", participants=participants(system, org),
            summary=f"{len(risks)} risker identifierade; högsta riskvärde {highest}. "
                    "Åtgärderna finns i handlingsplanen.",
            links=[f"https://dokument.exempelby.se/lis/riskanalys/{system.id}"],
            recorded_at=_at(performed_on, 15), recorded_by_id=person(COORDINATORS[org]).id,
            approved_on=approved_on, approved_at=_at(approved_on) if approved_on else None,
            approved_by_id=system.owner_id if approved_on else None,
            risks=[Risk(description=d, likelihood=lk, consequence=c) for d, lk, c in risks])
        db.session.add(analysis)
        db.session.flush()
        sources[name, "r"] = analysis.id, performed_on

    for name, source, text, responsible, due, status, note in ACTIONS:
        system, org = systems[name]
        source_id, created_on = sources[name, source]
        due_on = today + timedelta(days=due)
        path = ACTION_PATHS[status]
        end = min(due_on, today) if status == "done" else today
        moments = _between(created_on, end, len(path))
        coordinator = person(COORDINATORS[org])
        item = ActionPlanItem(
            system_id=system.id, description=text, responsible=person(responsible),
            classification_id=source_id if source == "c" else None,
            risk_analysis_id=source_id if source == "r" else None, due_on=due_on,
            status=ActionStatus(status), created_at=moments[0], created_by_id=coordinator.id)
        item.changes = [ActionStatusChange(
            from_status=ActionStatus(old) if old else None, to_status=ActionStatus(new),
            note=note if new == "accepted_risk" else "", changed_at=moment,
            changed_by_id=(coordinator if new == "open" else system.owner
                           if new == "accepted_risk" else person(responsible)).id)
            for old, new, moment in zip([None, *path], path, moments, strict=False)]
        db.session.add(item)

    db.session.flush()
    audit.record(None, "system.demo_loaded", "system_register", None, {"systems": len(systems)})
    return len(systems)
